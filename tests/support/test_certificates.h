// A CA and a serving certificate for 127.0.0.1/localhost, written to a fresh
// temporary directory, for tests that speak real TLS.
#pragma once

#include <string>

namespace autocanary::testing {

struct TestCertificates {
  std::string directory;
  std::string ca_file, cert_file, key_file;
};

// Creates the directory (under $TMPDIR) and the files; `tag` names the CA so a
// rotated pair can be told apart.
[[nodiscard]] TestCertificates make_test_certificates(const std::string& tag);

// Issues a new CA and serving pair into an existing directory, replacing the
// files atomically as a Secret volume update would.
void rotate_test_certificates(const TestCertificates& files, const std::string& tag);

}  // namespace autocanary::testing

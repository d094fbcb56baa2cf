#include "tests/support/test_certificates.h"

#include <cstdlib>
#include <stdexcept>
#include <variant>

#include "certs/certified_key.h"
#include "certs/generate.h"
#include "certs/pem_files.h"

namespace autocanary::testing {

namespace {

void must(const std::string& error) {
  if (!error.empty()) throw std::runtime_error(error);
}

void write_pair(const TestCertificates& files, const std::string& tag) {
  auto ca = certs::generate_authority("test-ca-" + tag, std::chrono::hours(24));
  if (auto* error = std::get_if<std::string>(&ca)) throw std::runtime_error(*error);
  certs::ServingCertRequest request;
  request.common_name = "webhook-" + tag;
  request.dns_names = {"localhost"};
  request.ip_addresses = {"127.0.0.1"};
  request.validity = std::chrono::hours(24);
  auto serving = certs::issue_serving_certificate(std::get<certs::Authority>(ca), request);
  if (auto* error = std::get_if<std::string>(&serving)) throw std::runtime_error(*error);
  const auto& authority = std::get<certs::Authority>(ca);
  const auto& pair = std::get<certs::Authority>(serving);
  must(certs::write_file_atomically(files.ca_file, certs::to_pem(authority.certificate.get()), false));
  must(certs::write_file_atomically(files.key_file, certs::to_pem(pair.key.get()), true));
  must(certs::write_file_atomically(files.cert_file, certs::to_pem(pair.certificate.get()), false));
}

}  // namespace

TestCertificates make_test_certificates(const std::string& tag) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr ? tmp : "/tmp") + "/autocanary-test-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot create a temporary directory");
  TestCertificates files{pattern, pattern + "/ca.crt", pattern + "/tls.crt", pattern + "/tls.key"};
  write_pair(files, tag);
  return files;
}

void rotate_test_certificates(const TestCertificates& files, const std::string& tag) {
  write_pair(files, tag);
}

}  // namespace autocanary::testing

// A serving certificate (with its chain) and its private key, loaded from PEM.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "certs/openssl_handles.h"

namespace autocanary::certs {

struct CertifiedKey {
  X509Ptr leaf;
  std::vector<X509Ptr> chain;  // intermediates after the leaf, if the file has them
  KeyPtr key;
};

// Reads a PEM certificate file (leaf first) and a PEM private key, and checks
// that the key belongs to the certificate. Errors are readable sentences.
[[nodiscard]] std::variant<CertifiedKey, std::string> load_certified_key(
    const std::string& cert_pem, const std::string& key_pem);

[[nodiscard]] std::variant<CertifiedKey, std::string> load_certified_key_files(
    const std::string& cert_path, const std::string& key_path);

// PEM text of a certificate / private key.
[[nodiscard]] std::string to_pem(X509* certificate);
[[nodiscard]] std::string to_pem(EVP_PKEY* key);

// The certificate's subject common name (for logs).
[[nodiscard]] std::string common_name(X509* certificate);

}  // namespace autocanary::certs

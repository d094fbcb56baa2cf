// Owning handles for OpenSSL objects, so no error path leaks a key or certificate.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>

namespace autocanary::certs {

struct X509Deleter {
  void operator()(X509* x) const noexcept { X509_free(x); }
};
struct KeyDeleter {
  void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};
struct BioDeleter {
  void operator()(BIO* b) const noexcept { BIO_free_all(b); }
};

using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyDeleter>;
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

}  // namespace autocanary::certs

#include "certs/generate.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

namespace autocanary::certs {

namespace {

using Result = std::variant<Authority, std::string>;

KeyPtr generate_key() { return KeyPtr(EVP_EC_gen("P-256")); }

bool set_random_serial(X509* certificate) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return false;
  bytes[0] &= 0x7f;  // serials must be positive
  BIGNUM* number = BN_bin2bn(bytes, sizeof bytes, nullptr);
  const bool ok = number != nullptr && BN_to_ASN1_INTEGER(number, X509_get_serialNumber(certificate));
  BN_free(number);
  return ok;
}

bool add_extension(X509* certificate, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
  if (extension == nullptr) return false;
  const bool ok = X509_add_ext(certificate, extension, -1) == 1;
  X509_EXTENSION_free(extension);
  return ok;
}

// A certificate skeleton: subject, validity, public key, random serial.
X509Ptr new_certificate(const std::string& common_name, EVP_PKEY* key, std::chrono::seconds validity,
                        std::optional<std::chrono::system_clock::time_point> issued_at) {
  X509Ptr certificate(X509_new());
  if (!certificate) return nullptr;
  X509_set_version(certificate.get(), 2);  // v3
  if (!set_random_serial(certificate.get())) return nullptr;
  time_t start = std::chrono::system_clock::to_time_t(issued_at.value_or(std::chrono::system_clock::now()));
  // Back-dated a minute so a slightly slow clock elsewhere still accepts it.
  X509_time_adj(X509_getm_notBefore(certificate.get()), -60, &start);
  X509_time_adj(X509_getm_notAfter(certificate.get()), static_cast<long>(validity.count()), &start);
  X509_NAME* name = X509_get_subject_name(certificate.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0);
  X509_set_pubkey(certificate.get(), key);
  return certificate;
}

std::string failure(const std::string& what) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  return what + (code != 0 ? std::string(": ") + ERR_error_string(code, nullptr) : std::string());
}

}  // namespace

Result generate_authority(const std::string& common_name, std::chrono::seconds validity,
                          std::optional<std::chrono::system_clock::time_point> issued_at) {
  KeyPtr key = generate_key();
  if (!key) return failure("cannot generate the CA key");
  X509Ptr certificate = new_certificate(common_name, key.get(), validity, issued_at);
  if (!certificate) return failure("cannot create the CA certificate");
  X509_set_issuer_name(certificate.get(), X509_get_subject_name(certificate.get()));
  if (!add_extension(certificate.get(), certificate.get(), NID_basic_constraints, "critical,CA:TRUE") ||
      !add_extension(certificate.get(), certificate.get(), NID_key_usage,
                     "critical,keyCertSign,cRLSign,digitalSignature") ||
      !add_extension(certificate.get(), certificate.get(), NID_subject_key_identifier, "hash"))
    return failure("cannot add CA extensions");
  if (X509_sign(certificate.get(), key.get(), EVP_sha256()) == 0)
    return failure("cannot sign the CA certificate");
  return Authority{std::move(certificate), std::move(key)};
}

Result issue_serving_certificate(const Authority& ca, const ServingCertRequest& request) {
  if (request.dns_names.empty() && request.ip_addresses.empty())
    return std::string("a serving certificate needs at least one DNS name or IP address");
  KeyPtr key = generate_key();
  if (!key) return failure("cannot generate the serving key");
  const std::string common_name =
      !request.common_name.empty() ? request.common_name
      : !request.dns_names.empty() ? request.dns_names.front()
                                   : request.ip_addresses.front();
  X509Ptr certificate = new_certificate(common_name, key.get(), request.validity, request.issued_at);
  if (!certificate) return failure("cannot create the serving certificate");
  X509_set_issuer_name(certificate.get(), X509_get_subject_name(ca.certificate.get()));

  std::string alt_names;
  for (const auto& dns : request.dns_names) alt_names += (alt_names.empty() ? "DNS:" : ",DNS:") + dns;
  for (const auto& ip : request.ip_addresses) alt_names += (alt_names.empty() ? "IP:" : ",IP:") + ip;
  X509* issuer = ca.certificate.get();
  if (!add_extension(certificate.get(), issuer, NID_basic_constraints, "critical,CA:FALSE") ||
      !add_extension(certificate.get(), issuer, NID_key_usage, "critical,digitalSignature,keyEncipherment") ||
      !add_extension(certificate.get(), issuer, NID_ext_key_usage, "serverAuth") ||
      !add_extension(certificate.get(), issuer, NID_authority_key_identifier, "keyid:always") ||
      !add_extension(certificate.get(), issuer, NID_subject_alt_name, alt_names))
    return failure("cannot add serving certificate extensions (check the DNS names and IPs)");
  if (X509_sign(certificate.get(), ca.key.get(), EVP_sha256()) == 0)
    return failure("cannot sign the serving certificate");
  return Authority{std::move(certificate), std::move(key)};
}

}  // namespace autocanary::certs

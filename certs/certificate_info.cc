#include "certs/certificate_info.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <ctime>

namespace autocanary::certs {

namespace {

std::optional<TimePoint> to_time_point(const ASN1_TIME* time) {
  std::tm parts{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &parts) != 1) return std::nullopt;
  return std::chrono::system_clock::from_time_t(timegm(&parts));
}

std::string ip_text(const ASN1_OCTET_STRING* address) {
  char text[INET6_ADDRSTRLEN] = {};
  const int length = ASN1_STRING_length(address);
  const unsigned char* bytes = ASN1_STRING_get0_data(address);
  if (length == 4) inet_ntop(AF_INET, bytes, text, sizeof text);
  else if (length == 16) inet_ntop(AF_INET6, bytes, text, sizeof text);
  return text;
}

std::string sha256_hex(X509* certificate) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(certificate, EVP_sha256(), digest, &length) != 1) return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0x0f];
  }
  return hex;
}

}  // namespace

std::optional<CertificateInfo> inspect(X509* certificate) {
  if (certificate == nullptr) return std::nullopt;
  CertificateInfo info;
  const auto not_before = to_time_point(X509_get0_notBefore(certificate));
  const auto not_after = to_time_point(X509_get0_notAfter(certificate));
  if (!not_before || !not_after) return std::nullopt;
  info.not_before = *not_before;
  info.not_after = *not_after;
  info.fingerprint = sha256_hex(certificate);
  info.is_authority = X509_check_ca(certificate) != 0;
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type == GEN_DNS) {
      const ASN1_IA5STRING* dns = name->d.dNSName;
      info.dns_names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                                  static_cast<std::size_t>(ASN1_STRING_length(dns)));
    } else if (name->type == GEN_IPADD) {
      info.ip_addresses.push_back(ip_text(name->d.iPAddress));
    }
  }
  GENERAL_NAMES_free(names);
  return info;
}

bool issued_by(X509* certificate, X509* authority) {
  if (certificate == nullptr || authority == nullptr) return false;
  if (X509_NAME_cmp(X509_get_issuer_name(certificate), X509_get_subject_name(authority)) != 0)
    return false;
  EVP_PKEY* key = X509_get0_pubkey(authority);
  const bool verified = key != nullptr && X509_verify(certificate, key) == 1;
  ERR_clear_error();
  return verified;
}

std::variant<std::vector<X509Ptr>, std::string> parse_certificates(const std::string& pem) {
  ERR_clear_error();
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  std::vector<X509Ptr> certificates;
  while (X509* next = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) certificates.emplace_back(next);
  // Reading stops on "no start line" at the end; anything else is a broken block.
  const unsigned long error = ERR_peek_last_error();
  ERR_clear_error();
  if (error != 0 && ERR_GET_REASON(error) != PEM_R_NO_START_LINE)
    return std::string("a certificate in the PEM text is broken");
  if (certificates.empty()) return std::string("no certificate in the PEM text");
  return certificates;
}

std::string canonical_ip(const std::string& address) {
  unsigned char bytes[16] = {};
  char text[INET6_ADDRSTRLEN] = {};
  if (inet_pton(AF_INET, address.c_str(), bytes) == 1) inet_ntop(AF_INET, bytes, text, sizeof text);
  else if (inet_pton(AF_INET6, address.c_str(), bytes) == 1) inet_ntop(AF_INET6, bytes, text, sizeof text);
  return text;
}

}  // namespace autocanary::certs

// What renewal decisions need to know about a certificate, read once from X509
// so the decisions themselves are pure functions of plain values.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "certs/openssl_handles.h"

namespace autocanary::certs {

using TimePoint = std::chrono::system_clock::time_point;

struct CertificateInfo {
  TimePoint not_before;
  TimePoint not_after;
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;  // canonical text form (inet_ntop)
  std::string fingerprint;                // SHA-256 of the DER encoding, hex
  bool is_authority = false;
};

[[nodiscard]] std::optional<CertificateInfo> inspect(X509* certificate);

// True when `authority` signed `certificate` (issuer name and signature).
[[nodiscard]] bool issued_by(X509* certificate, X509* authority);

// Every certificate in a PEM text, in order; an error when there is none or one is broken.
[[nodiscard]] std::variant<std::vector<X509Ptr>, std::string> parse_certificates(const std::string& pem);

// An IP address in the canonical text form the SANs are compared in; empty when
// `address` is not an IPv4 or IPv6 address.
[[nodiscard]] std::string canonical_ip(const std::string& address);

}  // namespace autocanary::certs

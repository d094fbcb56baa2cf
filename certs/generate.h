// Generating a CA and serving certificates for the webhook: used by the
// autocanary-certs tool, the chart's self-managed mode and the test scripts.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "certs/openssl_handles.h"

namespace autocanary::certs {

struct Authority {
  X509Ptr certificate;
  KeyPtr key;
};

struct ServingCertRequest {
  std::string common_name;
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  std::chrono::seconds validity{std::chrono::hours(24 * 365)};
  // Start of the validity (back-dated a minute); empty: now. Renewal passes it its clock.
  std::optional<std::chrono::system_clock::time_point> issued_at;
};

// A self-signed CA (ECDSA P-256), valid from a minute before `issued_at` (default:
// now) for `validity`.
[[nodiscard]] std::variant<Authority, std::string> generate_authority(
    const std::string& common_name, std::chrono::seconds validity,
    std::optional<std::chrono::system_clock::time_point> issued_at = std::nullopt);

// A serving certificate signed by `ca` with the requested SANs (serverAuth).
[[nodiscard]] std::variant<Authority, std::string> issue_serving_certificate(
    const Authority& ca, const ServingCertRequest& request);

}  // namespace autocanary::certs

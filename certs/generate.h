// Generating a CA and serving certificates for the webhook: used by the
// autocanary-certs tool, the chart's self-managed mode and the test scripts.
#pragma once

#include <chrono>
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
  std::chrono::hours validity{24 * 365};
};

// A self-signed CA (ECDSA P-256), valid from a minute ago for `validity`.
[[nodiscard]] std::variant<Authority, std::string> generate_authority(
    const std::string& common_name, std::chrono::hours validity);

// A serving certificate signed by `ca` with the requested SANs (serverAuth).
[[nodiscard]] std::variant<Authority, std::string> issue_serving_certificate(
    const Authority& ca, const ServingCertRequest& request);

}  // namespace autocanary::certs

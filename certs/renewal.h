// When the webhook's CA and serving certificate must be replaced: a pure decision
// over what the Secret holds, the names the webhook must answer to, the
// configured lifetimes and the time.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "certs/certificate_info.h"

namespace autocanary::certs {

struct Lifetimes {
  std::chrono::seconds authority{std::chrono::hours(24 * 365)};
  std::chrono::seconds serving{std::chrono::hours(24 * 90)};
};

struct ServingNames {
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
};

// The certificates found, already checked: an entry is empty when missing,
// unreadable or not matching its key.
struct CurrentCertificates {
  std::optional<CertificateInfo> authority;
  std::optional<CertificateInfo> serving;
  bool serving_issued_by_authority = false;
};

enum class RenewalAction {
  kKeep,
  kIssueServing,  // a new serving certificate from the current CA
  kNewAuthority,  // a new CA (added to the bundle beside the old one) and a serving certificate from it
};

struct RenewalDecision {
  RenewalAction action = RenewalAction::kKeep;
  std::string reason;
};

// A certificate is due when less than a third of its lifetime is left, or when it
// has more left than the configured lifetime allows (the lifetime was shortened).
[[nodiscard]] bool due_for_renewal(const CertificateInfo& certificate, std::chrono::seconds lifetime,
                                   TimePoint now);

// The CA is also replaced while it can still cover a whole serving certificate,
// so no serving certificate ever outlives its issuer.
[[nodiscard]] RenewalDecision decide_renewal(const CurrentCertificates& current, const ServingNames& names,
                                             const Lifetimes& lifetimes, TimePoint now);

// Whether `certificate` carries exactly `names` (order and IP spelling aside).
[[nodiscard]] bool has_names(const CertificateInfo& certificate, const ServingNames& names);

}  // namespace autocanary::certs

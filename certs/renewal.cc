#include "certs/renewal.h"

#include <algorithm>
#include <set>

namespace autocanary::certs {

namespace {

// Clock skew between issuing and checking never counts as a shortened lifetime.
constexpr std::chrono::seconds kLifetimeSlack{120};

std::string seconds_text(std::chrono::system_clock::duration duration) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(duration).count()) + "s";
}

}  // namespace

bool due_for_renewal(const CertificateInfo& certificate, std::chrono::seconds lifetime, TimePoint now) {
  const auto remaining = certificate.not_after - now;
  return remaining < lifetime / 3 || remaining > lifetime + kLifetimeSlack;
}

bool has_names(const CertificateInfo& certificate, const ServingNames& names) {
  std::set<std::string> wanted_ips;
  for (const auto& ip : names.ip_addresses) wanted_ips.insert(canonical_ip(ip).empty() ? ip : canonical_ip(ip));
  const std::set<std::string> wanted_dns(names.dns_names.begin(), names.dns_names.end());
  const std::set<std::string> dns(certificate.dns_names.begin(), certificate.dns_names.end());
  const std::set<std::string> ips(certificate.ip_addresses.begin(), certificate.ip_addresses.end());
  return dns == wanted_dns && ips == wanted_ips;
}

RenewalDecision decide_renewal(const CurrentCertificates& current, const ServingNames& names,
                               const Lifetimes& lifetimes, TimePoint now) {
  if (!current.authority || !current.authority->is_authority)
    return {RenewalAction::kNewAuthority, "no usable CA yet"};
  const auto& authority = *current.authority;
  const auto ca_left = authority.not_after - now;
  if (ca_left < std::max(lifetimes.authority / 3, lifetimes.serving))
    return {RenewalAction::kNewAuthority, "the CA has " + seconds_text(ca_left) + " left"};
  if (ca_left > lifetimes.authority + kLifetimeSlack)
    return {RenewalAction::kNewAuthority, "the CA outlives the configured lifetime"};

  if (!current.serving) return {RenewalAction::kIssueServing, "no usable serving certificate yet"};
  if (!current.serving_issued_by_authority)
    return {RenewalAction::kIssueServing, "the serving certificate is not from the current CA"};
  if (!has_names(*current.serving, names))
    return {RenewalAction::kIssueServing, "the serving certificate's names differ from the requested ones"};
  const auto serving_left = current.serving->not_after - now;
  if (due_for_renewal(*current.serving, lifetimes.serving, now))
    return {RenewalAction::kIssueServing, "the serving certificate has " + seconds_text(serving_left) +
                                              " left of a " + seconds_text(lifetimes.serving) + " lifetime"};
  return {};
}

}  // namespace autocanary::certs

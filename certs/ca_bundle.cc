#include "certs/ca_bundle.h"

#include <set>

#include "certs/certified_key.h"

namespace autocanary::certs {

std::string merge_ca_bundle(const std::string& bundle_pem, const std::string& authority_pem, TimePoint now) {
  auto authority = parse_certificates(authority_pem);
  if (std::holds_alternative<std::string>(authority)) return {};
  std::string merged;
  std::set<std::string> seen;
  const auto add = [&](X509* certificate, bool current) {
    const auto info = inspect(certificate);
    if (!info || !seen.insert(info->fingerprint).second) return;
    if (!current && info->not_after <= now) return;
    merged += to_pem(certificate);
  };
  add(std::get<std::vector<X509Ptr>>(authority).front().get(), true);
  auto previous = parse_certificates(bundle_pem);
  if (auto* certificates = std::get_if<std::vector<X509Ptr>>(&previous))
    for (const auto& certificate : *certificates) add(certificate.get(), false);
  return merged;
}

}  // namespace autocanary::certs

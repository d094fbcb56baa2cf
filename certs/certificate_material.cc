#include "certs/certificate_material.h"

#include <algorithm>

#include "certs/ca_bundle.h"
#include "certs/certified_key.h"
#include "certs/generate.h"

namespace autocanary::certs {

namespace {

std::optional<CertifiedKey> load_pair(const std::string& cert_pem, const std::string& key_pem) {
  if (cert_pem.empty() || key_pem.empty()) return std::nullopt;
  auto loaded = load_certified_key(cert_pem, key_pem);
  if (auto* pair = std::get_if<CertifiedKey>(&loaded)) return std::move(*pair);
  return std::nullopt;
}

}  // namespace

CurrentCertificates examine(const CertificateMaterial& material) {
  CurrentCertificates current;
  const auto authority = load_pair(material.ca_cert, material.ca_key);
  const auto serving = load_pair(material.tls_cert, material.tls_key);
  if (authority) current.authority = inspect(authority->leaf.get());
  if (serving) current.serving = inspect(serving->leaf.get());
  current.serving_issued_by_authority =
      authority && serving && issued_by(serving->leaf.get(), authority->leaf.get());
  return current;
}

RenewalDecision assess(const CertificateMaterial& material, const MaterialRequest& request, TimePoint now) {
  RenewalDecision decision = decide_renewal(examine(material), request.names, request.lifetimes, now);
  if (decision.action == RenewalAction::kKeep &&
      merge_ca_bundle(material.ca_bundle, material.ca_cert, now) != material.ca_bundle)
    decision.reason = "the CA bundle is out of date";
  return decision;
}

std::variant<CertificateMaterial, std::string> renew(const CertificateMaterial& material, RenewalAction action,
                                                     const MaterialRequest& request, TimePoint now) {
  CertificateMaterial renewed = material;
  Authority authority;
  if (action == RenewalAction::kNewAuthority) {
    auto generated = generate_authority(request.ca_common_name, request.lifetimes.authority, now);
    if (auto* error = std::get_if<std::string>(&generated)) return *error;
    authority = std::move(std::get<Authority>(generated));
    renewed.ca_cert = to_pem(authority.certificate.get());
    renewed.ca_key = to_pem(authority.key.get());
  } else if (action == RenewalAction::kIssueServing) {
    auto loaded = load_certified_key(material.ca_cert, material.ca_key);
    if (auto* error = std::get_if<std::string>(&loaded)) return "the CA cannot be used: " + *error;
    auto& pair = std::get<CertifiedKey>(loaded);
    authority = Authority{std::move(pair.leaf), std::move(pair.key)};
  }
  if (action != RenewalAction::kKeep) {
    const auto ca_info = inspect(authority.certificate.get());
    if (!ca_info) return std::string("the CA's validity cannot be read");
    ServingCertRequest serving_request;
    serving_request.dns_names = request.names.dns_names;
    serving_request.ip_addresses = request.names.ip_addresses;
    const auto ca_left = std::chrono::duration_cast<std::chrono::seconds>(ca_info->not_after - now);
    serving_request.validity = std::max(std::chrono::seconds(1), std::min(request.lifetimes.serving, ca_left));
    serving_request.issued_at = now;
    auto issued = issue_serving_certificate(authority, serving_request);
    if (auto* error = std::get_if<std::string>(&issued)) return *error;
    const auto& serving = std::get<Authority>(issued);
    renewed.tls_cert = to_pem(serving.certificate.get());
    renewed.tls_key = to_pem(serving.key.get());
  }
  renewed.ca_bundle = merge_ca_bundle(material.ca_bundle, renewed.ca_cert, now);
  if (renewed.ca_bundle.empty()) return std::string("the CA certificate cannot be read");
  return renewed;
}

}  // namespace autocanary::certs

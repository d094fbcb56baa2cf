// The self-managed certificate material as the webhook keeps it in a Secret:
// the signing CA with its key, the serving pair, and the bundle of trusted CAs.
// assess() is pure; renew() generates keys and certificates.
#pragma once

#include <string>
#include <variant>

#include "certs/renewal.h"

namespace autocanary::certs {

// PEM texts, as stored under the Secret's keys ca.crt, ca.key, tls.crt, tls.key, ca-bundle.crt.
struct CertificateMaterial {
  std::string ca_cert;
  std::string ca_key;
  std::string tls_cert;
  std::string tls_key;
  std::string ca_bundle;
  bool operator==(const CertificateMaterial&) const = default;
};

struct MaterialRequest {
  std::string ca_common_name = "autocanary-ca";
  ServingNames names;
  Lifetimes lifetimes;
};

// Parses and cross-checks the material (keys match, serving pair from the CA).
[[nodiscard]] CurrentCertificates examine(const CertificateMaterial& material);

// What to do now; kKeep with a non-empty reason means only the bundle changes
// (an old CA expired out of it, or the current CA is missing from it).
[[nodiscard]] RenewalDecision assess(const CertificateMaterial& material, const MaterialRequest& request,
                                     TimePoint now);

// The material after `action`; the bundle is always merged again. A serving
// certificate never outlives its CA.
[[nodiscard]] std::variant<CertificateMaterial, std::string> renew(const CertificateMaterial& material,
                                                                   RenewalAction action,
                                                                   const MaterialRequest& request, TimePoint now);

}  // namespace autocanary::certs

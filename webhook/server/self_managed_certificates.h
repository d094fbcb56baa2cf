// Self-managed serving certificates: the CA and serving pair live in a Secret of
// the webhook's namespace, every replica keeps them fresh and every replica
// reconciles the caBundle of the webhook's MutatingWebhookConfiguration. No
// restart: the pair is written to the files CertificateReloader serves from.
//
// Replicas race safely: the Secret is written conditionally on the
// resourceVersion read, so of two replicas renewing at once one wins and the
// other adopts its material on the next read. A serving certificate from a new
// CA is installed only once the apiserver has had `trust_delay` to see that CA
// in the caBundle, so no handshake fails while the CA rotates.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <stop_token>
#include <string>

#include "certs/certificate_material.h"
#include "common/log.h"
#include "common/metrics.h"
#include "kube/kube_client.h"

namespace autocanary::server {

struct SelfManagedCertificateOptions {
  std::string namespace_name;
  std::string secret_name;
  // Empty: no caBundle to reconcile (someone else registers the webhook).
  std::string webhook_configuration;
  certs::MaterialRequest request;
  std::string cert_file;
  std::string key_file;
  std::chrono::milliseconds check_period{std::chrono::minutes(1)};
  std::chrono::milliseconds trust_delay{std::chrono::seconds(10)};
};

class SelfManagedCertificates {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  SelfManagedCertificates(kube::KubeClient& client, SelfManagedCertificateOptions options, Clock clock,
                          common::Logger& logger, common::MetricsRegistry& metrics);

  // One pass: renew the Secret's material if due, reconcile the caBundle, install
  // the serving pair. Returns what went wrong, empty on success.
  [[nodiscard]] std::string sync();

  // How long after a successful pass the next one is due (at most a second while
  // the registration is missing).
  [[nodiscard]] std::chrono::milliseconds next_check() const;

  // Passes until `stop`; a failed pass is retried sooner than a good one.
  void run(std::stop_token stop);

  // The serving certificate (PEM) last written to the files; empty before the first.
  [[nodiscard]] std::string installed_certificate() const;

 private:
  [[nodiscard]] kube::Result<certs::CertificateMaterial> renew_if_due();
  [[nodiscard]] std::string reconcile_ca_bundle(const certs::CertificateMaterial& material);
  [[nodiscard]] std::string install(const certs::CertificateMaterial& material);

  kube::KubeClient& client_;
  SelfManagedCertificateOptions options_;
  Clock clock_;
  common::Logger& logger_;
  common::Counter& renewals_;
  common::Counter& bundle_updates_;
  common::Counter& sync_errors_;

  mutable std::mutex mutex_;
  std::string installed_cert_;
  std::string installed_ca_fingerprint_;
  // When this replica first saw each CA (by fingerprint) in the registered caBundle.
  std::map<std::string, std::chrono::system_clock::time_point> trusted_since_;
  std::chrono::system_clock::time_point waiting_until_{};
  // The registration named by the options was not found on the last pass: helm
  // creates it after the webhook's Deployment, so it is looked for again soon.
  bool registration_missing_ = false;
  double serving_not_after_seconds_ = 0;
};

}  // namespace autocanary::server

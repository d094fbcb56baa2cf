#include "webhook/server/self_managed_certificates.h"

#include <algorithm>
#include <condition_variable>

#include "certs/certificate_info.h"
#include "certs/pem_files.h"
#include "common/json_fields.h"
#include "kube/kube_config.h"
#include "kube/resources.h"
#include "webhook/review/admission_review.h"

namespace autocanary::server {

namespace {

// Secret keys, as cert-manager names the same things.
constexpr const char* kCaCert = "ca.crt";
constexpr const char* kCaKey = "ca.key";
constexpr const char* kTlsCert = "tls.crt";
constexpr const char* kTlsKey = "tls.key";
constexpr const char* kCaBundle = "ca-bundle.crt";

constexpr int kWriteAttempts = 5;
constexpr std::chrono::seconds kRetryAfterError{5};
// While the registration is missing: an installer creating it after the webhook
// started leaves it without a caBundle, refusing every review, until we look again.
constexpr std::chrono::seconds kRecheckMissingRegistration{1};

std::string data_field(const nlohmann::json& secret, const char* key) {
  const std::string encoded = common::string_field(common::child(&secret, "data"), key);
  return kube::decode_base64(encoded).value_or("");
}

certs::CertificateMaterial material_of(const nlohmann::json& secret) {
  return certs::CertificateMaterial{data_field(secret, kCaCert), data_field(secret, kCaKey),
                                    data_field(secret, kTlsCert), data_field(secret, kTlsKey),
                                    data_field(secret, kCaBundle)};
}

nlohmann::json data_of(const certs::CertificateMaterial& material) {
  return {{kCaCert, api::base64_encode(material.ca_cert)},
          {kCaKey, api::base64_encode(material.ca_key)},
          {kTlsCert, api::base64_encode(material.tls_cert)},
          {kTlsKey, api::base64_encode(material.tls_key)},
          {kCaBundle, api::base64_encode(material.ca_bundle)}};
}

std::string fingerprint_of_first(const std::string& pem) {
  auto parsed = certs::parse_certificates(pem);
  auto* certificates = std::get_if<std::vector<certs::X509Ptr>>(&parsed);
  if (certificates == nullptr) return {};
  const auto info = certs::inspect(certificates->front().get());
  return info ? info->fingerprint : std::string();
}

std::vector<certs::CertificateInfo> infos_of(const std::string& pem) {
  std::vector<certs::CertificateInfo> infos;
  auto parsed = certs::parse_certificates(pem);
  if (auto* certificates = std::get_if<std::vector<certs::X509Ptr>>(&parsed))
    for (const auto& certificate : *certificates)
      if (auto info = certs::inspect(certificate.get())) infos.push_back(std::move(*info));
  return infos;
}

}  // namespace

SelfManagedCertificates::SelfManagedCertificates(kube::KubeClient& client, SelfManagedCertificateOptions options,
                                                 Clock clock, common::Logger& logger,
                                                 common::MetricsRegistry& metrics)
    : client_(client),
      options_(std::move(options)),
      clock_(std::move(clock)),
      logger_(logger),
      renewals_(metrics.add<common::Counter>("autocanary_webhook_certificate_renewals_total",
                                              "Certificate material this replica renewed in the Secret.")),
      bundle_updates_(metrics.add<common::Counter>(
          "autocanary_webhook_ca_bundle_updates_total",
          "caBundle updates of the MutatingWebhookConfiguration made by this replica.")),
      sync_errors_(metrics.add<common::Counter>("autocanary_webhook_certificate_sync_errors_total",
                                                 "Self-managed certificate passes that failed.")) {
  metrics.add<common::GaugeFunc>(
      "autocanary_webhook_certificate_expiry_timestamp_seconds",
      "When the installed serving certificate expires (Unix time).", [this] {
        const std::lock_guard lock(mutex_);
        return serving_not_after_seconds_;
      });
}

kube::Result<certs::CertificateMaterial> SelfManagedCertificates::renew_if_due() {
  const kube::ResourceRef secret_ref = kube::secrets(options_.namespace_name, options_.secret_name);
  for (int attempt = 1;; ++attempt) {
    auto secret = client_.get(secret_ref);
    if (!secret) return std::move(secret).error();
    const certs::CertificateMaterial material = material_of(*secret);
    const auto now = clock_();
    const certs::RenewalDecision decision = certs::assess(material, options_.request, now);
    if (decision.action == certs::RenewalAction::kKeep && decision.reason.empty()) return material;

    auto renewed = certs::renew(material, decision.action, options_.request, now);
    if (auto* error = std::get_if<std::string>(&renewed))
      return kube::KubeError{0, kube::kReasonInvalidRequest, "cannot renew the certificates: " + *error, false};
    nlohmann::json object = std::move(secret).value();
    object["data"] = data_of(std::get<certs::CertificateMaterial>(renewed));
    // Conditional on the resourceVersion read: of replicas renewing at once, one wins.
    auto written = client_.update(secret_ref, object);
    if (written) {
      renewals_.inc();
      logger_.info("certificate material renewed",
                   {{"secret", options_.namespace_name + "/" + options_.secret_name}, {"reason", decision.reason}});
      return std::get<certs::CertificateMaterial>(std::move(renewed));
    }
    if (!written.error().is_conflict() || attempt >= kWriteAttempts) return std::move(written).error();
    logger_.debug("another replica wrote the certificate Secret first; reading it again");
  }
}

std::string SelfManagedCertificates::reconcile_ca_bundle(const certs::CertificateMaterial& material) {
  const auto now = clock_();
  if (options_.webhook_configuration.empty()) {
    const std::lock_guard lock(mutex_);
    for (const auto& info : infos_of(material.ca_bundle)) trusted_since_.emplace(info.fingerprint, now);
    return {};
  }
  const std::string bundle = api::base64_encode(material.ca_bundle);
  bool changed = false;
  const kube::ResourceRef ref = kube::mutating_webhook_configurations(options_.webhook_configuration);
  auto updated = kube::update_with_conflict_retry(client_, ref, [&](nlohmann::json& configuration) {
    changed = false;
    const auto webhooks = configuration.find("webhooks");
    if (webhooks == configuration.end() || !webhooks->is_array()) return false;
    for (auto& webhook : *webhooks) {
      auto& client_config = webhook["clientConfig"];
      const auto current = client_config.find("caBundle");
      if (current != client_config.end() && current->is_string() && current->get<std::string>() == bundle) continue;
      client_config["caBundle"] = bundle;
      changed = true;
    }
    return changed;
  });
  if (!updated) {
    if (updated.error().is_not_found()) {
      // Nothing registers through us, so nothing to wait for either.
      logger_.warn("MutatingWebhookConfiguration not found; its caBundle is not managed",
                   {{"name", options_.webhook_configuration}});
      const std::lock_guard lock(mutex_);
      registration_missing_ = true;
      for (const auto& info : infos_of(material.ca_bundle)) trusted_since_.emplace(info.fingerprint, now);
      return {};
    }
    return "cannot update the caBundle of " + options_.webhook_configuration + ": " + updated.error().describe();
  }
  if (changed) {
    bundle_updates_.inc();
    logger_.info("caBundle updated", {{"webhookConfiguration", options_.webhook_configuration}});
  }
  const std::lock_guard lock(mutex_);
  registration_missing_ = false;
  for (const auto& info : infos_of(material.ca_bundle)) trusted_since_.emplace(info.fingerprint, now);
  return {};
}

std::string SelfManagedCertificates::install(const certs::CertificateMaterial& material) {
  const auto now = clock_();
  const std::string ca_fingerprint = fingerprint_of_first(material.ca_cert);
  {
    const std::lock_guard lock(mutex_);
    waiting_until_ = {};
    if (installed_cert_ == material.tls_cert) return {};
    // A pair from the CA already served needs no wait; a new CA must be trusted first.
    if (!installed_cert_.empty() && ca_fingerprint != installed_ca_fingerprint_) {
      const auto since = trusted_since_.find(ca_fingerprint);
      const auto ready_at = since == trusted_since_.end() ? now + options_.trust_delay
                                                          : since->second + options_.trust_delay;
      if (now < ready_at) {
        waiting_until_ = ready_at;
        logger_.debug("waiting for the apiserver to trust the new CA before serving its certificate");
        return {};
      }
    }
  }
  // Both files in one step: CertificateReloader never sees a new key beside an old certificate.
  if (auto error = certs::write_pair_atomically(options_.cert_file, material.tls_cert, options_.key_file,
                                                material.tls_key);
      !error.empty())
    return error;
  const auto serving = infos_of(material.tls_cert);
  const std::lock_guard lock(mutex_);
  installed_cert_ = material.tls_cert;
  installed_ca_fingerprint_ = ca_fingerprint;
  if (!serving.empty())
    serving_not_after_seconds_ = std::chrono::duration<double>(serving.front().not_after.time_since_epoch()).count();
  logger_.info("serving certificate installed", {{"file", options_.cert_file}});
  return {};
}

std::string SelfManagedCertificates::sync() {
  auto material = renew_if_due();
  std::string error;
  if (!material) {
    error = "cannot read or renew the certificate Secret " + options_.namespace_name + "/" + options_.secret_name +
            ": " + material.error().describe();
  } else if (error = reconcile_ca_bundle(*material); error.empty()) {
    error = install(*material);
  }
  if (!error.empty()) sync_errors_.inc();
  return error;
}

std::chrono::milliseconds SelfManagedCertificates::next_check() const {
  const std::lock_guard lock(mutex_);
  const std::chrono::milliseconds period =
      registration_missing_ ? std::min<std::chrono::milliseconds>(options_.check_period, kRecheckMissingRegistration)
                            : options_.check_period;
  if (waiting_until_ == std::chrono::system_clock::time_point{}) return period;
  const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(waiting_until_ - clock_());
  return std::clamp(wait, std::chrono::milliseconds(1), period);
}

std::string SelfManagedCertificates::installed_certificate() const {
  const std::lock_guard lock(mutex_);
  return installed_cert_;
}

void SelfManagedCertificates::run(std::stop_token stop) {
  std::mutex sleep_mutex;
  std::condition_variable_any wake;
  while (!stop.stop_requested()) {
    const std::string error = sync();
    auto wait = next_check();
    if (!error.empty()) {
      logger_.warn("certificate pass failed; retrying", {{"error", error}});
      wait = std::min<std::chrono::milliseconds>(wait, kRetryAfterError);
    }
    std::unique_lock lock(sleep_mutex);
    wake.wait_for(lock, stop, wait, [] { return false; });
  }
}

}  // namespace autocanary::server

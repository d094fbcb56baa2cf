// Command-line flags of autocanary-webhook.
#pragma once

#include <chrono>
#include <string>
#include <variant>
#include <vector>

#include "common/log.h"
#include "webhook/decision/deployment_decision.h"
#include "webhook/server/admission_server.h"
#include "webhook/server/self_managed_certificates.h"

namespace autocanary::server {

struct WebhookOptions {
  ServerOptions server;
  std::string cert_file;
  std::string key_file;
  // API access for policies (ClusterCanaryPolicy, Namespace); empty: $KUBECONFIG,
  // else the pod's service account, else none (the built-in policy applies).
  std::string kubeconfig;
  decision::WebhookScope scope;
  common::LogLevel log_level = common::LogLevel::kInfo;
  // After SIGTERM: how long /readyz fails while requests are still served.
  std::chrono::milliseconds drain_delay{5'000};
  // With --cert-secret the webhook keeps its own CA and serving certificate in that
  // Secret and writes the pair to cert_file/key_file; otherwise someone else does.
  bool self_managed_certificates = false;
  SelfManagedCertificateOptions certificates;
};

// Parsed options, or a message for the user (usage included when asked for).
[[nodiscard]] std::variant<WebhookOptions, std::string> parse_webhook_options(
    const std::vector<std::string>& arguments, const char* pod_namespace_env);

[[nodiscard]] std::string webhook_usage();

}  // namespace autocanary::server

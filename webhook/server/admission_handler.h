// POST /mutate without the HTTP: body in, status and body out. Counts and logs
// every request; the transport (AdmissionServer) only moves bytes.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "common/log.h"
#include "common/metrics.h"
#include "policy/canary_policy.h"
#include "policy/policy_resolution.h"
#include "webhook/decision/deployment_decision.h"

namespace autocanary::server {

struct HttpReply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

class AdmissionHandler {
 public:
  using Clock = std::chrono::steady_clock;
  // The policy for a Deployment (as sent), with what resolving it had to skip.
  using PolicyFor = std::function<policy::ResolvedPolicy(const nlohmann::json& deployment)>;

  AdmissionHandler(decision::WebhookScope scope, PolicyFor policy_for, common::Logger& logger,
                   common::MetricsRegistry& metrics);

  // `deadline` is when the apiserver stops waiting (from its ?timeout=); work
  // that cannot finish before it is not started.
  [[nodiscard]] HttpReply review(std::string_view body, Clock::time_point deadline);

  // Records a request the transport refused before it reached review().
  void count_refused(int http_status, std::string_view reason);

 private:
  HttpReply error_reply(int status, std::string_view reason, const std::string& message);

  decision::WebhookScope scope_;
  PolicyFor policy_for_;
  common::Logger& logger_;
  common::CounterVec& requests_;
  common::CounterVec& decisions_;
  common::CounterVec& errors_;
  common::Histogram& latency_;
};

// Always the same policy, e.g. the built-in one when the webhook has no API access.
[[nodiscard]] AdmissionHandler::PolicyFor fixed_policy(policy::CanaryPolicy policy);

// A JSON error body the apiserver logs verbatim: {"error": "..."}.
[[nodiscard]] std::string error_body(const std::string& message);

}  // namespace autocanary::server

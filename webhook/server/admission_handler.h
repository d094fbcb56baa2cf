// POST /mutate without the HTTP: body in, status and body out. Counts and logs
// every request; the transport (AdmissionServer) only moves bytes.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/log.h"
#include "common/metrics.h"
#include "policy/canary_policy.h"
#include "policy/policy_resolution.h"
#include "webhook/decision/deployment_decision.h"
#include "webhook/review/admission_review.h"

namespace autocanary::server {

// What an answer was built from: the parsed request and the decision.
struct Reviewed {
  api::AdmissionRequest request;
  decision::Decision decision;
};

struct HttpReply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  // Set on an answered review. Freeing it (a 136 KB review's two objects are
  // ~9,000 allocations) is a fifth of the review, and nothing the apiserver
  // waits for: the transport keeps it until the answer is written
  // (AdmissionServer::mutate); whoever drops the reply frees it.
  std::unique_ptr<Reviewed> built_from;
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

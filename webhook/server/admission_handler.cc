#include "webhook/server/admission_handler.h"

#include <variant>

#include "webhook/decision/annotation_check.h"
#include "webhook/review/admission_review.h"

namespace autocanary::server {

AdmissionHandler::PolicyFor fixed_policy(policy::CanaryPolicy policy) {
  return [policy = std::move(policy)](const nlohmann::json&) {
    return policy::ResolvedPolicy{policy, "", {}, {}};
  };
}

AdmissionHandler::AdmissionHandler(decision::WebhookScope scope, PolicyFor policy_for,
                                   common::Logger& logger, common::MetricsRegistry& metrics)
    : scope_(std::move(scope)),
      policy_for_(std::move(policy_for)),
      logger_(logger),
      requests_(metrics.add<common::CounterVec>("autocanary_webhook_requests_total",
                                                 "Admission requests by HTTP status.", "code")),
      decisions_(metrics.add<common::CounterVec>("autocanary_webhook_decisions_total",
                                                  "Admission decisions by kind.", "decision")),
      errors_(metrics.add<common::CounterVec>("autocanary_webhook_errors_total",
                                               "Requests that could not be reviewed, by reason.",
                                               "reason")),
      latency_(metrics.add<common::Histogram>(
          "autocanary_webhook_request_duration_seconds",
          "Time to review one AdmissionReview, from parsed body to response bytes.",
          std::vector<double>{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 1})) {}

std::string error_body(const std::string& message) {
  return nlohmann::json{{"error", message}}.dump(-1, ' ', false,
                                                 nlohmann::json::error_handler_t::replace);
}

HttpReply AdmissionHandler::error_reply(int status, std::string_view reason, const std::string& message) {
  requests_.inc(std::to_string(status));
  errors_.inc(reason);
  logger_.warn("admission request refused", {{"status", status}, {"reason", reason}, {"error", message}});
  HttpReply reply;
  reply.status = status;
  reply.body = error_body(message);
  return reply;
}

void AdmissionHandler::count_refused(int http_status, std::string_view reason) {
  requests_.inc(std::to_string(http_status));
  errors_.inc(reason);
}

namespace {

// A namespace's own write: served only for its opt-in label (the chart's
// objectSelector), to warn about a value the apiserver will not match.
bool is_namespace(const api::AdmissionRequest& request) {
  return request.kind.group.empty() && request.kind.version == "v1" && request.kind.kind == "Namespace" &&
         request.sub_resource.empty();
}

// A Deployment autocanary looked at for the user (not one it leaves to others).
bool serves(decision::Outcome outcome) {
  using decision::Outcome;
  return outcome != Outcome::kNotApplicable && outcome != Outcome::kProtectedNamespace &&
         outcome != Outcome::kCoordinator && outcome != Outcome::kInvalidObject;
}

}  // namespace

HttpReply AdmissionHandler::review(std::string_view body, Clock::time_point deadline) {
  const auto started = Clock::now();
  if (started >= deadline)
    return error_reply(504, "deadline_exceeded",
                       "the apiserver's timeout passed before the review could start");

  auto parsed = api::parse_admission_review(body);
  if (auto* error = std::get_if<api::ReviewError>(&parsed))
    return error_reply(error->http_status, "bad_request", error->message);

  HttpReply reply;
  reply.built_from = std::make_unique<Reviewed>(Reviewed{std::move(std::get<api::AdmissionRequest>(parsed)), {}});
  const api::AdmissionRequest& request = reply.built_from->request;
  decision::Decision& decision = reply.built_from->decision;
  try {
    const auto input = api::to_decision_input(request);
    // Only a Deployment that may become a canary needs its policy resolved.
    policy::ResolvedPolicy resolved = input.new_object != nullptr && input.is_deployment
                                          ? policy_for_(*input.new_object)
                                          : policy::ResolvedPolicy{policy::builtin_default_policy(), "", {}, {}};
    decision = decision::decide(input, resolved.policy, scope_);
    // What the policy resolution skipped (a malformed override, a missing
    // policy) is said where the user acts: on the change that starts a canary,
    // and on the one that sets the override. So is an annotation of ours that
    // autocanary does not read (a typo).
    if (serves(decision.outcome)) {
      if (decision.outcome == decision::Outcome::kPendingRecorded || decision.outcome == decision::Outcome::kMarked ||
          decision::policy_annotations_changed(input.old_object, *input.new_object))
        for (auto& warning : resolved.warnings) decision.warnings.push_back("autocanary: " + std::move(warning));
      for (auto& warning : decision::annotation_warnings(input.old_object, *input.new_object))
        decision.warnings.push_back(std::move(warning));
    } else if (is_namespace(request) && input.new_object != nullptr) {
      decision.warnings = decision::namespace_label_warnings(input.old_object, *input.new_object);
    }
    reply.body = api::admission_response(request.uid, decision);
  } catch (const std::exception& error) {
    // A bug, not bad input: answer with the reason; the apiserver applies failurePolicy.
    logger_.error("review failed", {{"uid", request.uid}, {"error", error.what()}});
    return error_reply(500, "internal", std::string("autocanary could not review the request: ") +
                                            error.what());
  }
  const auto outcome = decision::to_string(decision.outcome);
  decisions_.inc(outcome);
  requests_.inc("200");
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  latency_.observe(seconds);

  const bool noteworthy = !decision.patch.empty() || !decision.allowed || !decision.warnings.empty();
  const auto level = noteworthy ? common::LogLevel::kInfo : common::LogLevel::kDebug;
  if (logger_.enabled(level))
    logger_.log(level, "admission reviewed",
                {{"uid", request.uid},
                 {"namespace", request.namespace_name},
                 {"name", request.name},
                 {"user", request.username},
                 {"dryRun", request.dry_run},
                 {"decision", outcome},
                 {"allowed", decision.allowed},
                 {"patchOps", decision.patch.operations().size()},
                 {"message", decision.message},
                 {"seconds", seconds}});
  if (Clock::now() > deadline) {
    errors_.inc("deadline_exceeded");
    logger_.warn("review finished after the apiserver's timeout", {{"uid", request.uid}});
  }
  return reply;
}

}  // namespace autocanary::server

#include "coordinator/canary_record.h"

#include <array>
#include <optional>
#include <utility>

#include "common/json_fields.h"

namespace autocanary::coordinator {

namespace {

using nlohmann::json;
using common::array_field;
using common::bool_field;
using common::int_field;
using common::number_field;
using common::string_field;

constexpr std::array<std::pair<Phase, std::string_view>, 8> kPhaseNames = {{
    {Phase::kProgressing, "Progressing"},
    {Phase::kPaused, "Paused"},
    {Phase::kWaitingForApproval, "WaitingForApproval"},
    {Phase::kPromoting, "Promoting"},
    {Phase::kSucceeded, "Succeeded"},
    {Phase::kAborting, "Aborting"},
    {Phase::kFailed, "Failed"},
    {Phase::kCancelled, "Cancelled"},
}};

void put_if(json& object, std::string_view key, const std::string& value) {
  if (!value.empty()) object[std::string(key)] = value;
}

analysis::AnalysisRun run_from_json(const json& run) {
  analysis::AnalysisRun parsed;
  parsed.analysis = string_field(&run, "analysis");
  parsed.step = int_field(&run, "step");
  parsed.passed = int_field(&run, "passed");
  parsed.failed = int_field(&run, "failed");
  parsed.inconclusive = int_field(&run, "inconclusive");
  parsed.started_at = string_field(&run, "startedAt");
  parsed.last_measured_at = string_field(&run, "lastMeasuredAt");
  parsed.last_value = number_field(&run, "lastValue");
  parsed.last_message = string_field(&run, "lastMessage");
  parsed.resource = string_field(&run, "resource");
  return parsed;
}

json to_json(const analysis::AnalysisRun& run) {
  json out = {{"analysis", run.analysis},
              {"step", run.step},
              {"passed", run.passed},
              {"failed", run.failed},
              {"inconclusive", run.inconclusive}};
  put_if(out, "startedAt", run.started_at);
  put_if(out, "lastMeasuredAt", run.last_measured_at);
  if (run.last_value) out["lastValue"] = *run.last_value;
  put_if(out, "lastMessage", run.last_message);
  put_if(out, "resource", run.resource);
  return out;
}

analysis::MeasurementRecord measurement_from_json(const json& record) {
  analysis::MeasurementRecord parsed;
  parsed.analysis = string_field(&record, "analysis");
  parsed.revision = string_field(&record, "revision");
  parsed.step = int_field(&record, "step");
  parsed.outcome = analysis::outcome_from_string(string_field(&record, "outcome"));
  parsed.value = number_field(&record, "value");
  parsed.error = bool_field(&record, "error");
  parsed.measured_at = string_field(&record, "measuredAt");
  parsed.message = string_field(&record, "message");
  parsed.resource = string_field(&record, "resource");
  return parsed;
}

json to_json(const analysis::MeasurementRecord& record) {
  json out = {{"analysis", record.analysis},
              {"step", record.step},
              {"outcome", analysis::to_string(record.outcome)}};
  put_if(out, "revision", record.revision);
  if (record.value) out["value"] = *record.value;
  if (record.error) out["error"] = true;
  put_if(out, "measuredAt", record.measured_at);
  put_if(out, "message", record.message);
  put_if(out, "resource", record.resource);
  return out;
}

}  // namespace

std::string_view to_string(Phase phase) noexcept {
  for (const auto& [candidate, name] : kPhaseNames)
    if (candidate == phase) return name;
  return "Progressing";
}

Phase phase_from_string(std::string_view text_value) noexcept {
  for (const auto& [phase, name] : kPhaseNames)
    if (name == text_value) return phase;
  return Phase::kProgressing;
}

bool is_terminal(Phase phase) noexcept {
  return phase == Phase::kSucceeded || phase == Phase::kFailed || phase == Phase::kCancelled;
}

CanaryRequests requests_from_json(const json& spec) {
  CanaryRequests requests;
  if (!spec.is_object()) return requests;
  const auto paused = spec.find("paused");
  requests.paused = paused != spec.end() && paused->is_boolean() && paused->get<bool>();
  requests.promote = string_field(&spec, "promote");
  requests.abort = string_field(&spec, "abort");
  requests.retry = string_field(&spec, "retry");
  return requests;
}

CanaryStatus status_from_json(const json& status) {
  CanaryStatus parsed;
  if (!status.is_object()) return parsed;
  parsed.revision = string_field(&status, "revision");
  parsed.stable_revision = string_field(&status, "stableRevision");
  parsed.phase = phase_from_string(string_field(&status, "phase"));
  parsed.current_step = int_field(&status, "currentStep");
  parsed.step_description = string_field(&status, "stepDescription");
  parsed.step_started_at = string_field(&status, "stepStartedAt");
  parsed.started_at = string_field(&status, "startedAt");
  parsed.aborted_at = string_field(&status, "abortedAt");
  parsed.canary_weight = int_field(&status, "canaryWeight");
  parsed.actual_weight = int_field(&status, "actualWeight");
  if (const json* routing = common::child(&status, "routing"); routing != nullptr && routing->is_object())
    parsed.routing = {string_field(routing, "router"), string_field(routing, "apiVersion"), string_field(routing, "service"),
                      string_field(routing, "reason")};
  parsed.message = string_field(&status, "message");
  for (const auto& step : array_field(&status, "steps")) {
    if (!step.is_object()) continue;
    parsed.steps.push_back({int_field(&step, "index"), string_field(&step, "description"), string_field(&step, "startedAt"),
                            string_field(&step, "finishedAt"), string_field(&step, "result"), string_field(&step, "message")});
  }
  for (const auto& entry : array_field(&status, "history")) {
    if (!entry.is_object()) continue;
    parsed.history.push_back({string_field(&entry, "revision"), string_field(&entry, "outcome"), string_field(&entry, "startedAt"),
                              string_field(&entry, "finishedAt"), string_field(&entry, "message")});
  }
  for (const auto& run : array_field(&status, "analysisRuns"))
    if (run.is_object()) parsed.analysis_runs.push_back(run_from_json(run));
  for (const auto& record : array_field(&status, "measurements"))
    if (record.is_object()) parsed.measurements.push_back(measurement_from_json(record));
  if (const auto policy = status.find("policy"); policy != status.end() && policy->is_object())
    parsed.policy = *policy;
  if (const json* handled = common::child(&status, "handled"); handled != nullptr && handled->is_object()) {
    parsed.handled = {string_field(handled, "promote"), string_field(handled, "abort"), string_field(handled, "retry")};
  }
  return parsed;
}

json to_json(const CanaryStatus& status) {
  json out = {{"phase", to_string(status.phase)},
              {"currentStep", status.current_step},
              {"canaryWeight", status.canary_weight},
              {"actualWeight", status.actual_weight}};
  put_if(out, "revision", status.revision);
  put_if(out, "stableRevision", status.stable_revision);
  put_if(out, "stepDescription", status.step_description);
  put_if(out, "stepStartedAt", status.step_started_at);
  put_if(out, "startedAt", status.started_at);
  put_if(out, "abortedAt", status.aborted_at);
  put_if(out, "message", status.message);
  if (!status.routing.router.empty()) {
    json routing = {{"router", status.routing.router}};
    put_if(routing, "apiVersion", status.routing.api_version);
    put_if(routing, "service", status.routing.service);
    put_if(routing, "reason", status.routing.reason);
    out["routing"] = std::move(routing);
  }
  json steps = json::array();
  for (const auto& step : status.steps) {
    json record = {{"index", step.index}, {"description", step.description}};
    put_if(record, "startedAt", step.started_at);
    put_if(record, "finishedAt", step.finished_at);
    put_if(record, "result", step.result);
    put_if(record, "message", step.message);
    steps.push_back(std::move(record));
  }
  out["steps"] = std::move(steps);
  json history = json::array();
  for (const auto& entry : status.history) {
    json record = {{"revision", entry.revision}, {"outcome", entry.outcome}};
    put_if(record, "startedAt", entry.started_at);
    put_if(record, "finishedAt", entry.finished_at);
    put_if(record, "message", entry.message);
    history.push_back(std::move(record));
  }
  out["history"] = std::move(history);
  json handled = json::object();
  put_if(handled, "promote", status.handled.promote);
  put_if(handled, "abort", status.handled.abort);
  put_if(handled, "retry", status.handled.retry);
  out["handled"] = std::move(handled);
  json runs = json::array();
  for (const auto& run : status.analysis_runs) runs.push_back(to_json(run));
  out["analysisRuns"] = std::move(runs);
  json measurements = json::array();
  for (const auto& record : status.measurements) measurements.push_back(to_json(record));
  out["measurements"] = std::move(measurements);
  if (status.policy.is_object()) out["policy"] = status.policy;
  return out;
}

json canary_conditions(const CanaryStatus& status, const json& previous, std::string_view now) {
  const std::string phase(to_string(status.phase));
  const bool succeeded = status.phase == Phase::kSucceeded || status.phase == Phase::kCancelled;
  const bool stalled = status.phase == Phase::kFailed || status.phase == Phase::kAborting;
  const bool reconciling = !succeeded && !stalled;
  std::string running = status.step_description.empty()
                            ? phase
                            : phase + " at step " + std::to_string(status.current_step + 1) + " (" +
                                  status.step_description + ")";
  if (!status.message.empty()) running += ": " + status.message;
  const std::string ended = status.message.empty() ? phase : status.message;
  const auto condition = [&](const char* type, bool value, const std::string& message) {
    std::string since(now);
    if (previous.is_array()) {
      for (std::size_t i = 0; i < previous.size(); ++i) {
        const json* old = &previous[i];
        if (!old->is_object() || string_field(old, "type") != type) continue;
        const std::string old_since = string_field(old, "lastTransitionTime");
        if (string_field(old, "status") == (value ? "True" : "False") && !old_since.empty()) since = old_since;
      }
    }
    return json{{"type", type},
                {"status", value ? "True" : "False"},
                {"reason", phase},
                {"message", message},
                {"lastTransitionTime", since}};
  };
  return json::array({condition("Ready", succeeded, succeeded ? ended : running),
                      condition("Reconciling", reconciling, reconciling ? running : ended),
                      condition("Stalled", stalled, stalled ? ended : "")});
}

}  // namespace autocanary::coordinator

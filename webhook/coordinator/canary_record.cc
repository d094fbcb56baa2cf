#include "webhook/coordinator/canary_record.h"

#include <array>
#include <optional>
#include <utility>

namespace autocanary::coordinator {

namespace {

using nlohmann::json;

constexpr std::array<std::pair<Phase, std::string_view>, 7> kPhaseNames = {{
    {Phase::kProgressing, "Progressing"},
    {Phase::kPaused, "Paused"},
    {Phase::kWaitingForApproval, "WaitingForApproval"},
    {Phase::kPromoting, "Promoting"},
    {Phase::kSucceeded, "Succeeded"},
    {Phase::kAborting, "Aborting"},
    {Phase::kFailed, "Failed"},
}};

// Status is written by us but may be edited by anyone: read it leniently.
std::string text(const json& object, std::string_view key) {
  const auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

int number(const json& object, std::string_view key) {
  const auto found = object.find(key);
  return found != object.end() && found->is_number_integer() ? found->get<int>() : 0;
}

const json& array_at(const json& object, std::string_view key) {
  static const json kEmpty = json::array();
  const auto found = object.find(key);
  return found != object.end() && found->is_array() ? *found : kEmpty;
}

void put_if(json& object, std::string_view key, const std::string& value) {
  if (!value.empty()) object[std::string(key)] = value;
}

std::optional<double> real(const json& object, std::string_view key) {
  const auto found = object.find(key);
  if (found == object.end() || !found->is_number()) return std::nullopt;
  return found->get<double>();
}

bool flag(const json& object, std::string_view key) {
  const auto found = object.find(key);
  return found != object.end() && found->is_boolean() && found->get<bool>();
}

analysis::AnalysisRun run_from_json(const json& run) {
  analysis::AnalysisRun parsed;
  parsed.analysis = text(run, "analysis");
  parsed.step = number(run, "step");
  parsed.passed = number(run, "passed");
  parsed.failed = number(run, "failed");
  parsed.inconclusive = number(run, "inconclusive");
  parsed.started_at = text(run, "startedAt");
  parsed.last_measured_at = text(run, "lastMeasuredAt");
  parsed.last_value = real(run, "lastValue");
  parsed.last_message = text(run, "lastMessage");
  parsed.resource = text(run, "resource");
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
  parsed.analysis = text(record, "analysis");
  parsed.revision = text(record, "revision");
  parsed.step = number(record, "step");
  parsed.outcome = analysis::outcome_from_string(text(record, "outcome"));
  parsed.value = real(record, "value");
  parsed.error = flag(record, "error");
  parsed.measured_at = text(record, "measuredAt");
  parsed.message = text(record, "message");
  parsed.resource = text(record, "resource");
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

bool is_terminal(Phase phase) noexcept { return phase == Phase::kSucceeded || phase == Phase::kFailed; }

CanaryRequests requests_from_json(const json& spec) {
  CanaryRequests requests;
  if (!spec.is_object()) return requests;
  const auto paused = spec.find("paused");
  requests.paused = paused != spec.end() && paused->is_boolean() && paused->get<bool>();
  requests.promote = text(spec, "promote");
  requests.abort = text(spec, "abort");
  requests.retry = text(spec, "retry");
  return requests;
}

CanaryStatus status_from_json(const json& status) {
  CanaryStatus parsed;
  if (!status.is_object()) return parsed;
  parsed.revision = text(status, "revision");
  parsed.stable_revision = text(status, "stableRevision");
  parsed.phase = phase_from_string(text(status, "phase"));
  parsed.current_step = number(status, "currentStep");
  parsed.step_description = text(status, "stepDescription");
  parsed.step_started_at = text(status, "stepStartedAt");
  parsed.started_at = text(status, "startedAt");
  parsed.aborted_at = text(status, "abortedAt");
  parsed.canary_weight = number(status, "canaryWeight");
  parsed.actual_weight = number(status, "actualWeight");
  if (const auto routing = status.find("routing"); routing != status.end() && routing->is_object())
    parsed.routing = {text(*routing, "router"), text(*routing, "apiVersion"), text(*routing, "service"),
                      text(*routing, "reason")};
  parsed.message = text(status, "message");
  for (const auto& step : array_at(status, "steps")) {
    if (!step.is_object()) continue;
    parsed.steps.push_back({number(step, "index"), text(step, "description"), text(step, "startedAt"),
                            text(step, "finishedAt"), text(step, "result"), text(step, "message")});
  }
  for (const auto& entry : array_at(status, "history")) {
    if (!entry.is_object()) continue;
    parsed.history.push_back({text(entry, "revision"), text(entry, "outcome"), text(entry, "startedAt"),
                              text(entry, "finishedAt"), text(entry, "message")});
  }
  for (const auto& run : array_at(status, "analysisRuns"))
    if (run.is_object()) parsed.analysis_runs.push_back(run_from_json(run));
  for (const auto& record : array_at(status, "measurements"))
    if (record.is_object()) parsed.measurements.push_back(measurement_from_json(record));
  if (const auto policy = status.find("policy"); policy != status.end() && policy->is_object())
    parsed.policy = *policy;
  if (const auto handled = status.find("handled"); handled != status.end() && handled->is_object()) {
    parsed.handled = {text(*handled, "promote"), text(*handled, "abort"), text(*handled, "retry")};
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

}  // namespace autocanary::coordinator

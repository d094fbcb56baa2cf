#include "webhook/coordinator/canary_record.h"

#include <array>
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
  if (status.policy.is_object()) out["policy"] = status.policy;
  return out;
}

}  // namespace autocanary::coordinator

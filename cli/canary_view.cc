#include "cli/canary_view.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "common/json_fields.h"
#include "common/rfc3339.h"
#include "policy/names.h"

namespace autocanary::cli {

namespace {

using nlohmann::json;
using common::array_field;
using common::child;
using common::int_field;
using common::string_field;

bool owned_by(const json& object, const std::string& kind, const std::string& name) {
  for (const auto& owner : array_field(child(&object, "metadata"), "ownerReferences"))
    if (string_field(&owner, "kind") == kind && string_field(&owner, "name") == name) return true;
  return false;
}

long revision_number(const json& replica_set) {
  const auto text = common::annotation(replica_set, names::kDeploymentRevisionAnnotation);
  if (!text) return -1;
  try {
    return std::stol(*text);
  } catch (...) {
    return -1;
  }
}

PodView pod_view(const json& pod) {
  PodView view;
  view.name = common::metadata_string(pod, "name");
  view.phase = common::string_at(pod, "/status/phase");
  for (const auto& condition : array_field(child(&pod, "status"), "conditions"))
    if (string_field(&condition, "type") == "Ready") view.ready = string_field(&condition, "status") == "True";
  for (const char* list : {"containerStatuses", "initContainerStatuses"})
    for (const auto& container : array_field(child(&pod, "status"), list))
      view.restarts += int_field(&container, "restartCount");
  return view;
}

std::vector<std::string> images_of(const json& pod_template) {
  std::vector<std::string> images;
  for (const auto& container : array_field(common::at(pod_template, "/spec"), "containers"))
    images.push_back(string_field(&container, "image"));
  return images;
}

WorkloadView workload_view(const json& deployment, const CanarySources& sources) {
  WorkloadView view;
  if (!deployment.is_object()) return view;
  view.deployment = common::metadata_string(deployment, "name");
  view.images = images_of(common::value_at(deployment, "/spec/template"));
  view.desired = common::int_at(deployment, "/spec/replicas", 1);
  view.revision = common::annotation(deployment, names::kCanaryRevisionAnnotation).value_or("");
  const json* replica_set = current_replica_set(deployment, sources.replica_sets);
  if (replica_set == nullptr) return view;
  view.replica_set = common::metadata_string(*replica_set, "name");
  for (const auto& pod : sources.pods) {
    if (!owned_by(pod, "ReplicaSet", view.replica_set)) continue;
    if (common::at(pod, "/metadata/deletionTimestamp") != nullptr) continue;
    view.pods.push_back(pod_view(pod));
  }
  std::sort(view.pods.begin(), view.pods.end(), [](const PodView& a, const PodView& b) { return a.name < b.name; });
  view.ready = static_cast<int>(std::count_if(view.pods.begin(), view.pods.end(), [](const PodView& p) { return p.ready; }));
  return view;
}

std::string describe_step(const json& step) {
  if (const json* weight = child(&step, "setWeight"); weight != nullptr && weight->is_number_integer())
    return "setWeight " + std::to_string(weight->get<int>());
  if (const json* pause = child(&step, "pause"); pause != nullptr) {
    const std::string duration = string_field(pause, "duration");
    return duration.empty() ? "pause until approved" : "pause " + duration;
  }
  if (const json* analysis = child(&step, "analysis"); analysis != nullptr) {
    std::string text = "analysis";
    bool first = true;
    for (const auto& name : array_field(analysis, "names")) {
      text += (first ? " " : ", ") + (name.is_string() ? name.get<std::string>() : std::string());
      first = false;
    }
    return text;
  }
  if (const json* test = child(&step, "test"); test != nullptr) return "test " + string_field(test, "name");
  return "step";
}

std::string number_text(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

std::string threshold_of(const std::string& name, const json& policy_spec) {
  if (name == "pod-health") return "canary pods ready, not restarting";
  for (const auto& analysis : array_field(&policy_spec, "analyses")) {
    if (string_field(&analysis, "name") != name) continue;
    std::string text;
    const json* condition = child(&analysis, "successCondition");
    if (const auto min = common::number_field(condition, "min")) text += ">= " + number_text(*min);
    if (const auto max = common::number_field(condition, "max"))
      text += (text.empty() ? "" : " and ") + std::string("<= ") + number_text(*max);
    if (text.empty()) text = string_field(&analysis, "provider") == "http" ? "gate answers 2xx" : "any value";
    text += ", " + std::to_string(int_field(&analysis, "count", 1)) + " to pass";
    text += ", " + std::to_string(int_field(&analysis, "failureLimit")) + " failure(s) tolerated";
    return text;
  }
  return "";
}

bool is_canary_backend(const std::string& name) {
  static constexpr std::string_view kSuffix = "-canary";
  return name.size() >= kSuffix.size() && name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0;
}

void add_weight(std::optional<int>& total, const json& weight) {
  if (!weight.is_number()) return;
  total = total.value_or(0) + static_cast<int>(std::lround(weight.get<double>()));
}

// One backend entry: {service|name|destination.host, weight}.
void count_backend(HeldWeights& held, const json& backend) {
  std::string name = string_field(&backend, "service");
  if (name.empty()) name = string_field(&backend, "name");
  if (name.empty()) name = common::string_at(backend, "/destination/host");
  const auto dot = name.find('.');
  if (dot != std::string::npos) name.resize(dot);
  const json* weight = child(&backend, "weight");
  if (weight == nullptr) return;
  add_weight(is_canary_backend(name) ? held.canary : held.stable, *weight);
}

std::string kind_and_name(const json& object) {
  return string_field(&object, "kind") + " " + common::metadata_string(object, "name");
}

RoutingView routing_view(const CanarySources& sources, const WorkloadView& stable, const WorkloadView& canary) {
  RoutingView view;
  view.router = common::string_at(sources.canary, "/status/routing/router");
  if (view.router.empty() || view.router == "podRatio") {
    const int stable_ready = stable.ready;
    const int canary_ready = canary.ready;
    const int total = stable_ready + canary_ready;
    if (total > 0) {
      view.canary_weight = static_cast<int>(std::lround(100.0 * canary_ready / total));
      view.stable_weight = 100 - *view.canary_weight;
    }
    view.note = "pod ratio: " + std::to_string(canary_ready) + " of " + std::to_string(total) + " ready pods are the canary's";
    return view;
  }
  for (const auto& object : sources.routing_objects) {
    const std::string kind = string_field(&object, "kind");
    if (kind != "TrafficSplit" && kind != "HTTPRoute" && kind != "VirtualService") continue;
    const HeldWeights held = held_weights(object);
    if (!held.canary && !held.stable) continue;
    view.object = kind_and_name(object);
    view.stable_weight = held.stable;
    view.canary_weight = held.canary;
    return view;
  }
  view.note = "no routing object found";
  return view;
}

}  // namespace

std::optional<std::chrono::seconds> seconds_between(const std::string& from, const std::string& to) {
  const auto start = common::parse_rfc3339(from);
  const auto end = common::parse_rfc3339(to);
  if (!start || !end) return std::nullopt;
  return std::max(std::chrono::seconds(0), std::chrono::duration_cast<std::chrono::seconds>(*end - *start));
}

std::optional<std::chrono::seconds> seconds_since(const std::string& from, Clock::time_point now) {
  const auto start = common::parse_rfc3339(from);
  if (!start) return std::nullopt;
  return std::max(std::chrono::seconds(0), std::chrono::duration_cast<std::chrono::seconds>(now - *start));
}

const json* current_replica_set(const json& deployment, const std::vector<json>& replica_sets) {
  const std::string name = common::metadata_string(deployment, "name");
  const json* best = nullptr;
  for (const auto& replica_set : replica_sets) {
    if (!owned_by(replica_set, "Deployment", name)) continue;
    if (best == nullptr || revision_number(replica_set) > revision_number(*best)) best = &replica_set;
  }
  return best;
}

HeldWeights held_weights(const json& object) {
  HeldWeights held;
  const std::string kind = string_field(&object, "kind");
  const json* spec = child(&object, "spec");
  if (kind == "TrafficSplit") {
    for (const auto& backend : array_field(spec, "backends")) count_backend(held, backend);
  } else if (kind == "HTTPRoute") {
    // Every rule carries the same split; the first one tells it.
    const auto& rules = array_field(spec, "rules");
    if (!rules.empty())
      for (const auto& backend : array_field(&rules.front(), "backendRefs")) count_backend(held, backend);
  } else if (kind == "VirtualService") {
    const auto& routes = array_field(spec, "http");
    if (!routes.empty())
      for (const auto& destination : array_field(&routes.front(), "route")) count_backend(held, destination);
  }
  return held;
}

CanaryView build_view(const CanarySources& sources, Clock::time_point now) {
  CanaryView view;
  const json& canary = sources.canary;
  const json* status = child(&canary, "status");
  view.namespace_name = common::metadata_string(canary, "namespace");
  view.name = common::metadata_string(canary, "name");
  view.phase = string_field(status, "phase");
  view.message = string_field(status, "message");
  view.revision = string_field(status, "revision");
  view.stable_revision = string_field(status, "stableRevision");
  view.current_step = int_field(status, "currentStep");
  view.step_description = string_field(status, "stepDescription");
  view.asked_weight = int_field(status, "canaryWeight");
  view.actual_weight = int_field(status, "actualWeight");
  view.paused_by_user = common::bool_field(child(&canary, "spec"), "paused");
  view.age = seconds_since(common::metadata_string(canary, "creationTimestamp"), now);
  view.stable = workload_view(sources.deployment, sources);
  view.canary = workload_view(sources.canary_deployment, sources);
  view.routing = routing_view(sources, view.stable, view.canary);

  // Steps: the policy's list, each with what the status recorded of it.
  const json& policy_spec = common::value_at(canary, "/status/policy/spec");
  const auto& policy_steps = array_field(&policy_spec, "steps");
  const auto& records = array_field(status, "steps");
  const bool finished = view.phase == "Succeeded" || view.phase == "Failed" || view.phase == "Cancelled";
  const std::size_t count = std::max(policy_steps.size(), records.size());
  for (std::size_t i = 0; i < count; ++i) {
    StepView step;
    step.index = static_cast<int>(i);
    if (i < policy_steps.size()) step.description = describe_step(policy_steps[i]);
    const json* record = nullptr;
    for (const auto& candidate : records)
      if (int_field(&candidate, "index", -1) == step.index) record = &candidate;
    if (record != nullptr) {
      step.description = string_field(record, "description");
      step.message = string_field(record, "message");
      const std::string result = string_field(record, "result");
      const std::string finished_at = string_field(record, "finishedAt");
      if (result == "Succeeded")
        step.state = StepState::kDone;
      else if (result == "Failed")
        step.state = StepState::kFailed;
      else if (result == "Skipped")
        step.state = StepState::kSkipped;
      else if (finished)
        step.state = StepState::kSkipped;
      else if (view.phase == "Paused" || view.phase == "WaitingForApproval")
        step.state = StepState::kWaiting;
      else
        step.state = StepState::kRunning;
      step.duration = finished_at.empty() ? seconds_since(string_field(record, "startedAt"), now)
                                          : seconds_between(string_field(record, "startedAt"), finished_at);
      if (finished && finished_at.empty()) step.duration.reset();
    } else if (view.phase == "Succeeded" && static_cast<int>(i) > view.current_step) {
      step.state = StepState::kSkipped;  // promoted early
    }
    view.steps.push_back(std::move(step));
  }

  for (const auto& run : array_field(status, "analysisRuns")) {
    AnalysisView analysis;
    analysis.name = string_field(&run, "analysis");
    analysis.step = int_field(&run, "step");
    analysis.passed = int_field(&run, "passed");
    analysis.failed = int_field(&run, "failed");
    analysis.inconclusive = int_field(&run, "inconclusive");
    analysis.last_value = common::number_field(&run, "lastValue");
    analysis.last_message = string_field(&run, "lastMessage");
    analysis.threshold = threshold_of(analysis.name, policy_spec);
    view.analyses.push_back(std::move(analysis));
  }
  // After the step ended its run is gone from analysisRuns; the latest
  // measurement of each analysis still tells its last value.
  const std::size_t running_count = view.analyses.size();
  for (const auto& record : array_field(status, "measurements")) {
    const std::string name = string_field(&record, "analysis");
    const auto running_end = view.analyses.begin() + static_cast<std::ptrdiff_t>(running_count);
    if (std::any_of(view.analyses.begin(), running_end, [&](const AnalysisView& a) { return a.name == name; })) continue;
    auto found = std::find_if(view.analyses.begin(), view.analyses.end(),
                              [&](const AnalysisView& a) { return a.name == name; });
    if (found == view.analyses.end()) {
      AnalysisView analysis;
      analysis.name = name;
      analysis.step = int_field(&record, "step");
      analysis.threshold = threshold_of(name, policy_spec);
      view.analyses.push_back(std::move(analysis));
      found = std::prev(view.analyses.end());
    }
    if (const auto value = common::number_field(&record, "value")) found->last_value = value;
    const std::string message = string_field(&record, "message");
    if (!message.empty()) found->last_message = message;
  }
  // Tallies of analyses no longer running are counted from their measurements.
  for (const auto& record : array_field(status, "measurements")) {
    const std::string name = string_field(&record, "analysis");
    const bool running = std::any_of(array_field(status, "analysisRuns").begin(), array_field(status, "analysisRuns").end(),
                                     [&](const json& run) { return string_field(&run, "analysis") == name; });
    if (running) continue;
    for (auto& analysis : view.analyses) {
      if (analysis.name != name) continue;
      const std::string outcome = string_field(&record, "outcome");
      if (outcome == "Passed") ++analysis.passed;
      if (outcome == "Failed") ++analysis.failed;
      if (outcome == "Inconclusive") ++analysis.inconclusive;
    }
  }
  return view;
}

}  // namespace autocanary::cli

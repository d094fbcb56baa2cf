// What `kubectl autocanary get` shows of one canary, built purely from the API
// objects read for it (the Canary, the Deployment, the canary Deployment, their
// ReplicaSets and pods, the routing objects): no I/O, no clock but `now`.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace autocanary::cli {

using Clock = std::chrono::system_clock;

struct PodView {
  std::string name;
  bool ready = false;
  int restarts = 0;
  std::string phase;  // Running, Pending, …
};

// A Deployment as the tree shows it: its ReplicaSet (the one its template
// runs) and that ReplicaSet's pods.
struct WorkloadView {
  std::string deployment;  // empty: not found
  std::string replica_set;
  std::string revision;  // autocanary's revision of the template it runs
  std::vector<std::string> images;
  int desired = 0;
  int ready = 0;
  std::vector<PodView> pods;
};

enum class StepState { kDone, kRunning, kFailed, kWaiting, kSkipped, kPending };

struct StepView {
  int index = 0;
  std::string description;
  StepState state = StepState::kPending;
  std::optional<std::chrono::seconds> duration;  // finished, or running so far
  std::string message;
};

struct AnalysisView {
  std::string name;
  int step = 0;
  int passed = 0;
  int failed = 0;
  int inconclusive = 0;
  std::optional<double> last_value;
  std::string last_message;
  std::string threshold;  // "≤ 0.01, 3 passes, failures tolerated: 1" as plain text; empty if unknown
};

// The object that splits traffic and the weights it holds now.
struct RoutingView {
  std::string router;  // podRatio, smi, gatewayAPI, istio; empty before the first choice
  std::string object;  // "TrafficSplit web-autocanary"; empty for the pod ratio
  std::optional<int> stable_weight;
  std::optional<int> canary_weight;
  std::string note;  // how the weight was read, or why it could not be
};

struct CanaryView {
  std::string namespace_name;
  std::string name;
  std::string phase;
  std::string message;
  std::string revision;
  std::string stable_revision;
  int current_step = 0;
  std::string step_description;
  int asked_weight = 0;
  int actual_weight = 0;
  bool paused_by_user = false;
  std::optional<std::chrono::seconds> age;
  WorkloadView stable;
  WorkloadView canary;
  RoutingView routing;
  std::vector<StepView> steps;
  std::vector<AnalysisView> analyses;
};

// What `get` reads for one canary. Absent objects stay empty/null.
struct CanarySources {
  nlohmann::json canary;
  nlohmann::json deployment;         // null when not found
  nlohmann::json canary_deployment;  // null when not found
  std::vector<nlohmann::json> replica_sets;
  std::vector<nlohmann::json> pods;
  std::vector<nlohmann::json> routing_objects;  // labelled autocanary.io/routing-for=<name>
};

[[nodiscard]] CanaryView build_view(const CanarySources& sources, Clock::time_point now);

// The ReplicaSet of `deployment` that runs its current template: owned by it,
// with the highest deployment.kubernetes.io/revision. Null when none.
[[nodiscard]] const nlohmann::json* current_replica_set(const nlohmann::json& deployment,
                                                        const std::vector<nlohmann::json>& replica_sets);

// The weights a routing object holds for the canary and the stable backends:
// TrafficSplit backends, HTTPRoute backendRefs, VirtualService route weights.
// Backends are told apart by name: "-canary" suffix is the canary.
struct HeldWeights {
  std::optional<int> stable;
  std::optional<int> canary;
};
[[nodiscard]] HeldWeights held_weights(const nlohmann::json& routing_object);

// Seconds between two RFC 3339 times; nullopt when either does not parse.
[[nodiscard]] std::optional<std::chrono::seconds> seconds_between(const std::string& from, const std::string& to);
[[nodiscard]] std::optional<std::chrono::seconds> seconds_since(const std::string& from, Clock::time_point now);

}  // namespace autocanary::cli

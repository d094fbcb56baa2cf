// The canary policy: how a pending revision is walked to promotion. Cluster admins
// set it (ClusterCanaryPolicy); until one exists the built-in default applies.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace autocanary::policy {

// Route this percentage of traffic (0–100) to the canary.
struct SetWeightStep {
  int weight = 0;
};

// Wait for a duration, or until a person approves when no duration is given.
struct PauseStep {
  std::optional<std::chrono::milliseconds> duration;
};

// Run the named analyses; any failure aborts the canary.
struct AnalysisStep {
  std::vector<std::string> analyses;
};

// Run the named test (a Job template in the policy); failure aborts the canary.
struct TestStep {
  std::string name;
};

using Step = std::variant<SetWeightStep, PauseStep, AnalysisStep, TestStep>;

enum class TrafficBackend { kAuto, kPodRatio, kSmi, kGatewayApi, kIstio };

enum class ShimInjection { kAlways, kNever, kWhenNoProbe };

// What `kubectl rollout restart` (a template change of only the restartedAt
// annotation) does: become a canary like any other change, or roll as usual.
enum class RestartHandling { kCanary, kRollout };

struct CanaryPolicy {
  std::vector<Step> steps;
  TrafficBackend traffic_backend = TrafficBackend::kAuto;
  RestartHandling restart_handling = RestartHandling::kCanary;
  ShimInjection shim_injection = ShimInjection::kWhenNoProbe;
  // How long an aborted canary keeps its pods (for inspection) before removal.
  std::chrono::milliseconds abort_scale_down_delay{std::chrono::seconds(30)};
};

// The policy in force when no ClusterCanaryPolicy exists: 25% → pod health → 100%.
[[nodiscard]] CanaryPolicy builtin_default_policy();

// Every problem found, each a readable sentence; empty means valid.
[[nodiscard]] std::vector<std::string> validate(const CanaryPolicy& policy);

}  // namespace autocanary::policy

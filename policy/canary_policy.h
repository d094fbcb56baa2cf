// The canary policy: how a pending revision is walked to promotion. Cluster admins
// set it (ClusterCanaryPolicy); until one exists the built-in default applies.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

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

// The policy's spelling: "auto", "podRatio", "smi", "gatewayAPI", "istio".
[[nodiscard]] std::string_view to_string(TrafficBackend backend) noexcept;

// A measurement of the canary that analysis steps name (pod-health is built in).
struct AnalysisDefinition {
  enum class Provider { kPrometheus, kHttp };
  enum class NoData { kInconclusive, kFail };

  std::string name;
  Provider provider = Provider::kPrometheus;
  std::string address;  // prometheus: server URL; empty = the coordinator's default
  std::string query;    // prometheus: instant query with {{namespace}}-style variables
  std::string sample_query;  // prometheus: how many samples `query` rests on (with minimum_sample)
  std::string url;      // http: the gate
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};  // one request
  int retries = 2;      // http: further attempts after a request got no answer
  // Access to the server (both providers): a file holding a bearer token, a CA
  // bundle to verify it, or no verification at all.
  std::string bearer_token_file;
  std::string ca_file;
  bool insecure_skip_verify = false;
  bool allow_insecure_token = false;  // the token over http:// too, in clear text
  std::optional<double> max;  // success when the value is at most this …
  std::optional<double> min;  // … and at least this
  std::chrono::milliseconds interval{std::chrono::seconds(30)};
  int count = 1;          // passing measurements the analysis needs
  int failure_limit = 0;  // failed measurements tolerated
  int minimum_sample = 0;  // fewer samples (sample_query) make a measurement inconclusive
  NoData no_data = NoData::kInconclusive;
  int inconclusive_limit = 3;
  bool operator==(const AnalysisDefinition&) const = default;
};

// A test step's Job.
struct TestDefinition {
  std::string name;
  nlohmann::json job_template;  // batch/v1 JobTemplateSpec
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};
  bool operator==(const TestDefinition&) const = default;
};

// The built-in pod-health analysis: what makes the canary's pods unhealthy.
// Once a step names pod-health these are judged on every pass of the rollout,
// so a failure aborts at once instead of at the next measurement.
struct PodHealthPolicy {
  std::chrono::milliseconds ready_deadline{std::chrono::minutes(5)};  // a canary pod not Ready for longer fails
  int max_restarts = 0;         // container restarts tolerated across the canary's pods
  int max_readiness_flaps = 2;  // Ready → not Ready transitions tolerated
  bool operator==(const PodHealthPolicy&) const = default;
};

// How many pods the canary runs: following the weight (pod ratio), or as many
// as the stable workload (a mesh splits the traffic).
enum class CanaryReplicas { kWeight, kMatchStable };

enum class ShimInjection { kAlways, kNever, kWhenNoProbe };

// What `kubectl rollout restart` (a template change of only the restartedAt
// annotation) does: become a canary like any other change, or roll as usual.
enum class RestartHandling { kCanary, kRollout };

// What a change of a Deployment with strategy Recreate does: roll as usual
// (Recreate asks for never two versions at once; a canary is two), or, where
// the admin opts in, a canary like any other, the canary serving while the
// promotion recreates the stable pods.
enum class RecreateHandling { kRollout, kCanary };

struct CanaryPolicy {
  std::vector<Step> steps;
  std::vector<AnalysisDefinition> analyses;
  std::vector<TestDefinition> tests;
  PodHealthPolicy pod_health;
  CanaryReplicas canary_replicas = CanaryReplicas::kWeight;
  TrafficBackend traffic_backend = TrafficBackend::kAuto;
  RestartHandling restart_handling = RestartHandling::kCanary;
  RecreateHandling recreate_handling = RecreateHandling::kRollout;
  ShimInjection shim_injection = ShimInjection::kWhenNoProbe;
  // How long an aborted canary keeps its pods (for inspection) before removal.
  std::chrono::milliseconds abort_scale_down_delay{std::chrono::seconds(30)};
};

// The policy in force when no ClusterCanaryPolicy exists: 25% → pod health → 100%.
[[nodiscard]] CanaryPolicy builtin_default_policy();

// Every problem found, each a readable sentence; empty means valid.
[[nodiscard]] std::vector<std::string> validate(const CanaryPolicy& policy);

}  // namespace autocanary::policy

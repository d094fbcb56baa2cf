// One level-based pass over one Deployment: read everything that matters from
// the cluster, plan (rollout_planner), carry the plan out in order. It never
// trusts the event that woke it, so running it twice, or after a crash, is safe.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "common/log.h"
#include "common/rfc3339.h"
#include "coordinator/analysis/analysis_provider.h"
#include "coordinator/analysis/measurement_executor.h"
#include "coordinator/coordinator_metrics.h"
#include "coordinator/policy_seal.h"
#include "coordinator/readiness_flaps.h"
#include "coordinator/rollout_planner.h"
#include "coordinator/traffic/routers.h"
#include "kube/kube_client.h"
#include "policy/canary_policy.h"
#include "policy/namespace_scope.h"
#include "policy/policy_resolution.h"

namespace autocanary::coordinator {

struct ReconcileResult {
  bool ok = true;  // false: an action failed; retry with backoff
  std::optional<std::chrono::milliseconds> requeue_after;
};

class Reconciler {
 public:
  using Clock = std::function<common::SystemTime()>;
  using PolicyFor = std::function<policy::ResolvedPolicy(const nlohmann::json& deployment)>;

  // `may_act` is asked before every action: a replica that lost its Lease stops
  // mid-pass instead of finishing it.
  // `flaps` (may be null) counts canary pods losing readiness.
  // `providers` builds the measurement providers of the policy in force;
  // `measurements` takes them off the pass: a pass starts those due and
  // hands the planner those finished since.
  // `routers` are chosen from per rollout (policy, installed routing APIs, Service).
  // `seal` signs the policy a rollout records, and checks it before following it.
  // `served`: a Deployment anywhere else is never acted on, whatever its labels
  // say; it is reported once (a log line and a Warning Event).
  Reconciler(kube::KubeClient& client, traffic::Routers& routers, analysis::ProviderFactory& providers,
             analysis::MeasurementExecutor& measurements, PolicyFor policy_for, Clock clock, common::Logger& logger, CoordinatorMetrics& metrics,
             const ReadinessFlaps* flaps, PolicySeal seal, policy::ServedNamespaces served,
             std::function<bool()> may_act = [] { return true; });

  [[nodiscard]] ReconcileResult reconcile(const std::string& namespace_name, const std::string& name);

 private:
  struct Pass;

  [[nodiscard]] kube::Result<void> execute(Pass& pass, const Action& action);
  [[nodiscard]] kube::Result<void> ensure_canary(Pass& pass, const EnsureCanaryWorkload& ensure);
  [[nodiscard]] kube::Result<void> promote(Pass& pass, const std::string& revision);
  [[nodiscard]] kube::Result<void> annotate(Pass& pass, const std::string& key, const nlohmann::json& value);
  [[nodiscard]] kube::Result<void> write_status(Pass& pass, const CanaryStatus& status);
  [[nodiscard]] kube::Result<void> record_event(Pass& pass, const RecordEvent& event);
  // Picks the rollout's router (a new rollout) or takes the recorded one.
  [[nodiscard]] kube::Result<void> route(Pass& pass, Observed& observed, const policy::CanaryPolicy& policy);
  // Reads, once per pass, what a mesh router's writes need: the Service, the
  // stable pod-template-hash.
  [[nodiscard]] kube::Result<void> read_split_service(Pass& pass);
  // A running mesh rollout's selectors follow the stable ReplicaSet when it rolls.
  [[nodiscard]] kube::Result<void> follow_stable(Pass& pass, const Observed& observed);
  // Starts the measurements of the current step that are due, and puts in
  // `observed` those finished since the last pass and those under way.
  void measure(Pass& pass, Observed& observed, const policy::CanaryPolicy& policy,
               const std::vector<nlohmann::json>& canary_pods);

  [[nodiscard]] bool first_report_of_unserved(const std::string& key);
  void forget_report_of_unserved(const std::string& key);

  kube::KubeClient& client_;
  traffic::Routers& routers_;
  analysis::ProviderFactory& providers_;
  analysis::MeasurementExecutor& measurements_;
  PolicyFor policy_for_;
  Clock clock_;
  common::Logger& logger_;
  CoordinatorMetrics& metrics_;
  const ReadinessFlaps* flaps_;
  PolicySeal seal_;
  policy::ServedNamespaces served_;
  std::function<bool()> may_act_;
  // Deployments outside the served namespaces already reported, so each is reported once.
  std::mutex reported_mutex_;
  std::set<std::string> reported_unserved_;
};

}  // namespace autocanary::coordinator

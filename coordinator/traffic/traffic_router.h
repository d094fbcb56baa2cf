// How traffic is split between the stable and the canary workload. One
// implementation per way of routing (pod ratio, SMI, Gateway API, Istio), each
// in its own file; the coordinator only ever talks to this interface.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "coordinator/traffic/traffic_view.h"
#include "kube/result.h"
#include "policy/canary_policy.h"

namespace autocanary::traffic {

// Lists a router read in the current reconcile pass, by collection, so that
// observing and then reweighting in one pass lists a namespace's objects once.
// A router forgets them once it has written.
struct PassReads {
  std::map<std::string, std::vector<nlohmann::json>> lists;
};

// The rollout a router acts on, as last read from the cluster.
struct RolloutTarget {
  std::string namespace_name;
  std::string deployment;
  const nlohmann::json* stable = nullptr;  // the Deployment
  const nlohmann::json* canary = nullptr;  // its canary Deployment; null when absent
  // The user's Service for the Deployment (the apex a mesh splits): its name as
  // recorded when the rollout started, and the object; null when it is gone.
  std::string service_name;
  const nlohmann::json* service = nullptr;
  // The pod-template-hash of the stable ReplicaSet when all stable pods run one
  // template; empty while the stable workload rolls (a promotion): then "stable"
  // means every pod of the Deployment.
  std::optional<std::string> stable_pod_template_hash;
  std::string api_version;  // of the routing resource, e.g. "split.smi-spec.io/v1alpha2"
  policy::CanaryReplicas canary_replicas = policy::CanaryReplicas::kWeight;
  PassReads* reads = nullptr;  // the pass's; null: every list is read afresh
};

class TrafficRouter {
 public:
  virtual ~TrafficRouter() = default;

  [[nodiscard]] virtual std::string_view name() const noexcept = 0;

  // Canary replicas to run for `weight` (sizing of the canary workload).
  [[nodiscard]] virtual int canary_replicas(const RolloutTarget& target, int weight) const = 0;

  // Creates or corrects the objects the router routes with (backend Services,
  // route resources), keeping the weight they route now.
  [[nodiscard]] virtual kube::Result<void> ensure(const RolloutTarget& target) = 0;

  // Routes `weight` percent (0–100) to the canary. A router may hold a higher
  // weight back until the canary has pods to take it; 0 is always immediate.
  [[nodiscard]] virtual kube::Result<void> set_weight(const RolloutTarget& target, int weight) = 0;

  // What is routed now, read back from the cluster.
  [[nodiscard]] virtual kube::Result<TrafficView> observe(const RolloutTarget& target) = 0;

  // The canary is over: everything to stable, the objects the router created
  // removed, a user's objects it changed restored. Never deletes a user's object.
  [[nodiscard]] virtual kube::Result<void> cleanup(const RolloutTarget& target) = 0;
};

}  // namespace autocanary::traffic

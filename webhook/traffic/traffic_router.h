// How traffic is split between the stable and the canary workload. One
// implementation per way of routing (pod ratio, SMI, Gateway API, Istio), each
// in its own file; the coordinator only ever talks to this interface.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "webhook/coordinator/rollout_planner.h"
#include "webhook/kube/result.h"

namespace autocanary::traffic {

// The rollout a router acts on, as last read from the cluster.
struct RolloutTarget {
  std::string namespace_name;
  std::string deployment;
  const nlohmann::json* stable = nullptr;  // the Deployment
  const nlohmann::json* canary = nullptr;  // its canary Deployment; null when absent
};

class TrafficRouter {
 public:
  virtual ~TrafficRouter() = default;

  [[nodiscard]] virtual std::string_view name() const noexcept = 0;

  // Canary replicas to run for `weight` (sizing of the canary workload).
  [[nodiscard]] virtual int canary_replicas(const RolloutTarget& target, int weight) const = 0;

  // Routes `weight` percent (0–100) to the canary.
  [[nodiscard]] virtual kube::Result<void> set_weight(const RolloutTarget& target, int weight) = 0;

  // What is routed now.
  [[nodiscard]] virtual kube::Result<coordinator::TrafficView> observe(const RolloutTarget& target) = 0;
};

}  // namespace autocanary::traffic

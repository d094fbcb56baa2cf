// What the routers that split a Service through a mesh API (SMI, Gateway API,
// Istio) share: the canary is sized by the policy (following the weight, or as
// many pods as stable), a higher weight waits until the canary has Ready pods
// to take it, and weight 0 is one write of the route. Each subclass owns only
// its route resources.
#pragma once

#include <optional>

#include "coordinator/traffic/traffic_router.h"
#include "kube/kube_client.h"

namespace autocanary::traffic {

// Canary pods for `weight` percent of the traffic with `stable_replicas` stable
// pods: proportional (rounded up, at least one for any weight above 0), or as
// many as stable with `kMatchStable`.
[[nodiscard]] int mesh_canary_replicas(policy::CanaryReplicas mode, int weight, int stable_replicas) noexcept;

class MeshRouter : public TrafficRouter {
 public:
  [[nodiscard]] int canary_replicas(const RolloutTarget& target, int weight) const override;
  [[nodiscard]] kube::Result<void> ensure(const RolloutTarget& target) override;
  [[nodiscard]] kube::Result<void> set_weight(const RolloutTarget& target, int weight) override;
  [[nodiscard]] kube::Result<TrafficView> observe(const RolloutTarget& target) override;
  [[nodiscard]] kube::Result<void> cleanup(const RolloutTarget& target) override;

 protected:
  explicit MeshRouter(kube::KubeClient& client) : client_(client) {}

  // The canary's percentage the route resources give now; nullopt when they do not exist.
  [[nodiscard]] virtual kube::Result<std::optional<int>> routed_weight(const RolloutTarget& target) = 0;
  // Creates or corrects every routing object so that `weight` percent goes to the canary.
  [[nodiscard]] virtual kube::Result<void> route(const RolloutTarget& target, int weight) = 0;
  // Like route(), when the route resources exist: only they need writing (a
  // lower weight, an abort), so a router may skip its other objects.
  [[nodiscard]] virtual kube::Result<void> reweight(const RolloutTarget& target, int weight) {
    return route(target, weight);
  }
  // Removes the routing objects (restoring a user's) — after the route resource, what is left.
  [[nodiscard]] virtual kube::Result<void> unroute(const RolloutTarget& target) = 0;
  // Whether objects of ours other than the route resource remain (e.g. backend Services).
  [[nodiscard]] virtual kube::Result<bool> leftovers(const RolloutTarget& target) = 0;

  kube::KubeClient& client_;

 private:
  [[nodiscard]] kube::Result<void> scale_canary(const RolloutTarget& target, int weight);
};

}  // namespace autocanary::traffic

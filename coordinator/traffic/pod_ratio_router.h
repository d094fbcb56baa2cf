// Routing by pod count, for clusters without a mesh: the user's Service selects
// the canary's pods too, so the weight is set by scaling the canary workload
// beside the untouched stable one (see pod_ratio.h for the arithmetic).
#pragma once

#include "coordinator/traffic/traffic_router.h"
#include "kube/kube_client.h"

namespace autocanary::traffic {

class PodRatioRouter final : public TrafficRouter {
 public:
  explicit PodRatioRouter(kube::KubeClient& client) : client_(client) {}

  [[nodiscard]] std::string_view name() const noexcept override { return "podRatio"; }
  [[nodiscard]] int canary_replicas(const RolloutTarget& target, int weight) const override;
  // No objects of its own: the user's Service already selects the canary's pods.
  [[nodiscard]] kube::Result<void> ensure(const RolloutTarget&) override { return {}; }
  [[nodiscard]] kube::Result<void> set_weight(const RolloutTarget& target, int weight) override;
  [[nodiscard]] kube::Result<TrafficView> observe(const RolloutTarget& target) override;
  [[nodiscard]] kube::Result<void> cleanup(const RolloutTarget&) override { return {}; }

 private:
  kube::KubeClient& client_;
};

}  // namespace autocanary::traffic

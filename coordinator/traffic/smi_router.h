// SMI TrafficSplit: the user's Service is the apex, split between
// `<svc>-stable` and `<svc>-canary`. Speaks whichever version the cluster
// serves: v1alpha1 weights are quantities (Linkerd's extension stores "250m"),
// v1alpha2 and later integers out of 100.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "coordinator/traffic/mesh_router.h"

namespace autocanary::traffic {

// The TrafficSplit routing `weight` percent to the canary, in `target.api_version`.
[[nodiscard]] nlohmann::json build_traffic_split(const RolloutTarget& target, int weight);

// The canary's percentage in a TrafficSplit of any version; nullopt when its
// backends are not ours or their weights do not read.
[[nodiscard]] std::optional<int> traffic_split_weight(const nlohmann::json& split, const std::string& service);

// A weight as a v1alpha1 quantity: 25 → "250m", 100 → "1", 0 → "0".
[[nodiscard]] std::string weight_quantity(int percent);

// A Kubernetes quantity as a number: "250m" → 0.25, "1" → 1, 3 → 3; nullopt otherwise.
[[nodiscard]] std::optional<double> parse_quantity(const nlohmann::json& value);

class SmiRouter final : public MeshRouter {
 public:
  explicit SmiRouter(kube::KubeClient& client) : MeshRouter(client) {}
  [[nodiscard]] std::string_view name() const noexcept override { return "smi"; }

 protected:
  [[nodiscard]] kube::Result<std::optional<int>> routed_weight(const RolloutTarget& target) override;
  [[nodiscard]] kube::Result<void> route(const RolloutTarget& target, int weight) override;
  [[nodiscard]] kube::Result<void> reweight(const RolloutTarget& target, int weight) override;
  [[nodiscard]] kube::Result<void> unroute(const RolloutTarget& target) override;
  [[nodiscard]] kube::Result<bool> leftovers(const RolloutTarget& target) override;
};

}  // namespace autocanary::traffic

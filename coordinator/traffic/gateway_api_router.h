// Gateway API HTTPRoute in the mesh (GAMMA) form: the user's Service is the
// parentRef, `<svc>-stable` and `<svc>-canary` are weighted backendRefs. One
// route per Service port, since a backendRef names one port.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "coordinator/traffic/mesh_router.h"

namespace autocanary::traffic {

// The HTTPRoutes routing `weight` percent to the canary: one per port of the
// user's Service, named `<svc>-autocanary-<port>`.
[[nodiscard]] std::vector<nlohmann::json> build_http_routes(const RolloutTarget& target, int weight);

// The canary's percentage in an HTTPRoute; nullopt when its backends are not ours.
[[nodiscard]] std::optional<int> http_route_weight(const nlohmann::json& route, const std::string& service);

class GatewayApiRouter final : public MeshRouter {
 public:
  explicit GatewayApiRouter(kube::KubeClient& client) : MeshRouter(client) {}
  [[nodiscard]] std::string_view name() const noexcept override { return "gatewayAPI"; }

 protected:
  [[nodiscard]] kube::Result<std::optional<int>> routed_weight(const RolloutTarget& target) override;
  [[nodiscard]] kube::Result<void> route(const RolloutTarget& target, int weight) override;
  [[nodiscard]] kube::Result<void> reweight(const RolloutTarget& target, int weight) override;
  [[nodiscard]] kube::Result<void> unroute(const RolloutTarget& target) override;
  [[nodiscard]] kube::Result<bool> leftovers(const RolloutTarget& target) override;

 private:
  [[nodiscard]] kube::Result<std::vector<nlohmann::json>> our_routes(const RolloutTarget& target);
};

}  // namespace autocanary::traffic

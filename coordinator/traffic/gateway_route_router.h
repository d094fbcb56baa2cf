// Gateway API through the user's own routes: every HTTPRoute and GRPCRoute of
// the namespace (not one of ours) whose rules send to the Deployment's Service
// — typically attached to the user's Gateway, for ingress — is reweighted in
// place (gateway_route.h) between `<svc>-stable` and `<svc>-canary`, and
// restored at the end. Nothing of the route but those backendRefs changes, and
// no route of ours is created: this is the router for clusters whose Gateway
// API implementation is an ingress proxy, which ignores Service-parented (GAMMA)
// routes. Recorded as router "gatewayRoute".
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "coordinator/traffic/mesh_router.h"

namespace autocanary::traffic {

// The route kinds reweighted, as resources of the Gateway API group.
inline constexpr const char* kUserRouteResources[] = {"httproutes", "grpcroutes"};

class GatewayRouteRouter final : public MeshRouter {
 public:
  explicit GatewayRouteRouter(kube::KubeClient& client) : MeshRouter(client) {}
  [[nodiscard]] std::string_view name() const noexcept override { return "gatewayRoute"; }

 protected:
  [[nodiscard]] kube::Result<std::optional<int>> routed_weight(const RolloutTarget& target) override;
  [[nodiscard]] kube::Result<void> route(const RolloutTarget& target, int weight) override;
  [[nodiscard]] kube::Result<void> reweight(const RolloutTarget& target, int weight) override;
  [[nodiscard]] kube::Result<void> unroute(const RolloutTarget& target) override;
  [[nodiscard]] kube::Result<bool> leftovers(const RolloutTarget& target) override;

 private:
  struct UserRoute {
    std::string resource;  // "httproutes" or "grpcroutes"
    nlohmann::json object;
  };
  // The user's routes that send to the Service (or to its backend Services).
  [[nodiscard]] kube::Result<std::vector<UserRoute>> user_routes(const RolloutTarget& target);
};

}  // namespace autocanary::traffic

// The routers, one of each, and the choice among them by backend. Routers keep
// no state of their own (everything is read from the cluster), so one instance
// of each serves every rollout.
#pragma once

#include "coordinator/traffic/gateway_api_router.h"
#include "coordinator/traffic/gateway_route_router.h"
#include "coordinator/traffic/istio_router.h"
#include "coordinator/traffic/pod_ratio_router.h"
#include "coordinator/traffic/routing_choice.h"
#include "coordinator/traffic/smi_router.h"
#include "kube/kube_client.h"
#include "policy/canary_policy.h"

namespace autocanary::traffic {

class Routers {
 public:
  explicit Routers(kube::KubeClient& client)
      : client_(client), pod_ratio_(client), smi_(client), gateway_api_(client), gateway_route_(client), istio_(client) {}

  // The router for `backend`; `auto` is never a router (it is resolved to one first).
  [[nodiscard]] TrafficRouter& for_backend(policy::TrafficBackend backend) noexcept;

  // The router a rollout recorded by name (RoutingChoice::router).
  [[nodiscard]] TrafficRouter& for_router(std::string_view router) noexcept;

  // Which routing APIs the cluster serves now (API discovery), and whether a
  // mesh implements Gateway API's GAMMA (the GatewayClasses, when Gateway API is served).
  [[nodiscard]] kube::Result<RoutingApis> discover();

  // "HTTPRoute <ns>/<name>" of a user's route attached to a Gateway that sends
  // to Service `service`; empty when there is none.
  [[nodiscard]] kube::Result<std::string> user_gateway_route(const std::string& api_version,
                                                             const std::string& namespace_name,
                                                             const std::string& service);

 private:
  kube::KubeClient& client_;
  PodRatioRouter pod_ratio_;
  SmiRouter smi_;
  GatewayApiRouter gateway_api_;
  GatewayRouteRouter gateway_route_;
  IstioRouter istio_;
};

}  // namespace autocanary::traffic

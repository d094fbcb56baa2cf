// The routers, one of each, and the choice among them by backend. Routers keep
// no state of their own (everything is read from the cluster), so one instance
// of each serves every rollout.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

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
  // /apis is read every time; the resource list of a group version is read
  // again only when /apis changed, the list lacks the resource looked for
  // (a CRD added to a served version), or it is older than kResourceListMaxAge.
  [[nodiscard]] kube::Result<RoutingApis> discover();

  static constexpr std::chrono::minutes kResourceListMaxAge{5};

  // "HTTPRoute <ns>/<name>" of a user's route attached to a Gateway that sends
  // to Service `service`; empty when there is none.
  [[nodiscard]] kube::Result<std::string> user_gateway_route(const std::string& api_version,
                                                             const std::string& namespace_name,
                                                             const std::string& service);

 private:
  // A group version's resource list (APIResourceList) as last read.
  [[nodiscard]] kube::Result<nlohmann::json> resource_list(const nlohmann::json& groups,
                                                           const std::string& group_version,
                                                           std::string_view resource);

  kube::KubeClient& client_;
  std::mutex discovery_mutex_;
  nlohmann::json discovered_groups_;  // the /apis the lists below were read under
  struct ResourceList {
    nlohmann::json list;
    std::chrono::steady_clock::time_point read_at;
  };
  std::map<std::string, ResourceList> resource_lists_;
  PodRatioRouter pod_ratio_;
  SmiRouter smi_;
  GatewayApiRouter gateway_api_;
  GatewayRouteRouter gateway_route_;
  IstioRouter istio_;
};

}  // namespace autocanary::traffic

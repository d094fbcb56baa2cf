// The routers, one of each, and the choice among them by backend. Routers keep
// no state of their own (everything is read from the cluster), so one instance
// of each serves every rollout.
#pragma once

#include "coordinator/traffic/gateway_api_router.h"
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
      : client_(client), pod_ratio_(client), smi_(client), gateway_api_(client), istio_(client) {}

  // The router for `backend`; `auto` is never a router (it is resolved to one first).
  [[nodiscard]] TrafficRouter& for_backend(policy::TrafficBackend backend) noexcept;

  // Which routing APIs the cluster serves now (API discovery).
  [[nodiscard]] kube::Result<RoutingApis> discover();

 private:
  kube::KubeClient& client_;
  PodRatioRouter pod_ratio_;
  SmiRouter smi_;
  GatewayApiRouter gateway_api_;
  IstioRouter istio_;
};

}  // namespace autocanary::traffic

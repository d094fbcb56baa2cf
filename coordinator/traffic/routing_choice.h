// Which router a rollout uses, decided once when it starts and recorded in the
// Canary status: from the policy's trafficBackend, the routing APIs the cluster
// serves (API discovery) and whether the Deployment has a Service to split.
// Pure: the discovery documents and Services come in as JSON.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "policy/canary_policy.h"

namespace autocanary::traffic {

// The group/version each routing API is served at ("split.smi-spec.io/v1alpha4");
// empty when the cluster does not serve it.
struct RoutingApis {
  std::string smi;
  std::string gateway_api;
  std::string istio;
  // What shows that a mesh implements Gateway API for east-west traffic (GAMMA:
  // routes parented to a Service), e.g. "GatewayClass linkerd reports
  // MeshHTTPRoute"; empty when nothing does (gamma_implementation()).
  std::string gamma_mesh;
};

// One routing API: its group, resource and known versions, best first.
struct RoutingApi {
  std::string_view group;
  std::string_view resource;
  std::vector<std::string_view> versions;
};

[[nodiscard]] const RoutingApi& smi_api();          // trafficsplits, v1alpha4 … v1alpha1
[[nodiscard]] const RoutingApi& gateway_api();      // httproutes, v1, v1beta1
[[nodiscard]] const RoutingApi& istio_api();        // virtualservices, v1, v1beta1, v1alpha3

// The versions of `group` an APIGroupList (GET /apis) says are served.
[[nodiscard]] std::vector<std::string> served_versions(const nlohmann::json& group_list, std::string_view group);

// Whether an APIResourceList (GET /apis/<group>/<version>) lists `resource`.
[[nodiscard]] bool lists_resource(const nlohmann::json& resource_list, std::string_view resource);

// Router names beyond the policy's backends: Gateway API through the user's own
// Gateway-attached routes (gateway_route_router.h); "gatewayAPI" is the GAMMA router.
inline constexpr std::string_view kGatewayRouteRouter = "gatewayRoute";

// The evidence that a mesh implements GAMMA, from the served API groups (GET
// /apis) and the GatewayClasses: a GatewayClass whose status lists a Mesh*
// supported feature (the Gateway API conformance features of GAMMA), or the
// API group of a mesh that implements it (Linkerd, Kuma, Istio). Empty when
// there is none: Gateway API CRDs alone are usually installed for ingress.
[[nodiscard]] std::string gamma_implementation(const nlohmann::json& group_list,
                                               const std::vector<nlohmann::json>& gateway_classes);

struct RoutingChoice {
  policy::TrafficBackend backend = policy::TrafficBackend::kPodRatio;
  std::string router;       // the router's name: the backend's, or kGatewayRouteRouter
  std::string api_version;  // of the routing resource; empty for pod ratio
  std::string reason;       // why this router, for the Canary status
  std::string warning;      // set when the policy's choice could not be honoured
};

// `service` is the Deployment's Service name, empty when it has none;
// `user_route` names ("HTTPRoute shop/web") a user's route attached to a
// Gateway that sends to it, empty when there is none. With `auto`, Istio wins
// over SMI over Gateway API: Istio's and SMI's APIs are only installed with a
// mesh that implements them, while Gateway API CRDs are often installed for
// ingress alone. So Gateway API means the user's route, reweighted in place,
// when there is one; else the GAMMA route, when a mesh implements it (a GAMMA
// route nothing implements would shift nothing); else pod ratio. A policy that
// asks for gatewayAPI gets the user's route when there is one, else GAMMA.
[[nodiscard]] RoutingChoice choose_routing(policy::TrafficBackend wanted, const RoutingApis& apis,
                                           const std::string& deployment, const std::string& service,
                                           const std::string& user_route = {});

// The Service that fronts a Deployment: a Service of the namespace, not one
// autocanary made, whose non-empty selector matches the labels of the
// Deployment's pod template. One named like the Deployment wins; otherwise the
// first by name. Null when there is none.
[[nodiscard]] const nlohmann::json* find_service(const nlohmann::json& deployment,
                                                 const std::vector<nlohmann::json>& services);

// The backend a recorded router name stands for (kGatewayRouteRouter: Gateway
// API); pod ratio for anything unknown.
[[nodiscard]] policy::TrafficBackend backend_named(std::string_view router) noexcept;

// "k=v,…" of a Deployment's spec.selector.matchLabels (a superset of its pods).
[[nodiscard]] std::string match_labels_selector(const nlohmann::json& deployment);

// The pod-template-hash of the one ReplicaSet of `deployment` that has pods;
// nullopt while several do (the Deployment is rolling) or none does.
[[nodiscard]] std::optional<std::string> stable_pod_template_hash(const nlohmann::json& deployment,
                                                                  const std::vector<nlohmann::json>& replica_sets);

}  // namespace autocanary::traffic

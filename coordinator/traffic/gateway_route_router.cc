#include "coordinator/traffic/gateway_route_router.h"

#include <algorithm>

#include "common/json_fields.h"
#include "coordinator/traffic/backend_services.h"
#include "coordinator/traffic/gateway_route.h"
#include "coordinator/traffic/routing_objects.h"
#include "policy/names.h"

namespace autocanary::traffic {

namespace {

using nlohmann::json;

kube::ResourceRef route_ref(const RolloutTarget& target, const std::string& resource, const std::string& name) {
  return routing_ref(target.api_version, resource, target.namespace_name, name);
}

}  // namespace

kube::Result<std::vector<GatewayRouteRouter::UserRoute>> GatewayRouteRouter::user_routes(const RolloutTarget& target) {
  std::vector<UserRoute> routes;
  for (const char* resource : kUserRouteResources) {
    auto listed = client_.list(routing_ref(target.api_version, resource, target.namespace_name), {});
    // A cluster may serve HTTPRoute without GRPCRoute.
    if (!listed && listed.error().is_not_found()) continue;
    if (!listed) return std::move(listed).error();
    std::sort(listed->items.begin(), listed->items.end(), [](const json& a, const json& b) {
      return common::metadata_string(a, "name") < common::metadata_string(b, "name");
    });
    for (json& item : listed->items) {
      if (!common::label(item, names::kRoutingForLabel).empty()) continue;  // a route of ours (GAMMA)
      if (common::metadata_string(item, "namespace").empty()) item["metadata"]["namespace"] = target.namespace_name;
      if (sends_to_service(item, target.service_name)) routes.push_back({resource, std::move(item)});
    }
  }
  return routes;
}

kube::Result<std::optional<int>> GatewayRouteRouter::routed_weight(const RolloutTarget& target) {
  auto routes = user_routes(target);
  if (!routes) return std::move(routes).error();
  std::optional<int> weight;
  bool reweighted = false;
  bool agree = true;
  for (const UserRoute& route : *routes) {
    for (const std::optional<int>& rule : user_route_weights(route.object, target.service_name)) {
      if (!rule) {
        agree = false;  // a rule still sending to the Service itself (added since)
        continue;
      }
      reweighted = true;
      if (weight && *weight != *rule) agree = false;
      weight = rule;
    }
  }
  if (!reweighted) return std::optional<int>();
  // Rules that differ (or one not reweighted yet) report 100, so that the
  // planner writes the weight it wants again.
  return agree ? weight : std::optional<int>(100);
}

kube::Result<void> GatewayRouteRouter::route(const RolloutTarget& target, int weight) {
  // The backend Services before the routes that send to them.
  if (auto backends = ensure_backend_services(client_, target); !backends) return backends;
  return reweight(target, weight);
}

kube::Result<void> GatewayRouteRouter::reweight(const RolloutTarget& target, int weight) {
  auto routes = user_routes(target);
  if (!routes) return std::move(routes).error();
  if (routes->empty()) {
    if (weight == 0) return {};  // nothing routes to the canary through a route that is gone
    return kube::KubeError{404, "NotFound",
                           "no HTTPRoute or GRPCRoute in namespace " + target.namespace_name +
                               " sends to Service " + target.service_name +
                               ", whose traffic this canary splits; abort the canary or restore the route",
                           false};
  }
  for (UserRoute& route : *routes) {
    std::string problem;
    const std::string name = common::metadata_string(route.object, "name");
    auto updated = kube::update_with_conflict_retry(
        client_, route_ref(target, route.resource, name), std::move(route.object), [&](json& live) {
          if (common::metadata_string(live, "namespace").empty()) live["metadata"]["namespace"] = target.namespace_name;
          RouteRewrite rewrite = reweight_user_route(live, target.service_name, weight);
          problem = rewrite.problem;
          if (!rewrite.route || *rewrite.route == live) return false;
          live = std::move(*rewrite.route);
          return true;
        });
    if (!updated) return std::move(updated).error();
    if (!problem.empty())
      return kube::KubeError{422, "Invalid", route.resource + " " + target.namespace_name + "/" + name + ": " + problem,
                             false};
  }
  return {};
}

kube::Result<void> GatewayRouteRouter::unroute(const RolloutTarget& target) {
  auto routes = user_routes(target);
  if (!routes) return std::move(routes).error();
  // The routes first: while one still sends to a backend Service, removing it
  // would fail those requests.
  for (UserRoute& route : *routes) {
    const std::string name = common::metadata_string(route.object, "name");
    auto restored = kube::update_with_conflict_retry(
        client_, route_ref(target, route.resource, name), std::move(route.object), [&](json& live) {
          if (common::metadata_string(live, "namespace").empty()) live["metadata"]["namespace"] = target.namespace_name;
          json restored_route = restore_user_route(live, target.service_name);
          if (restored_route == live) return false;
          live = std::move(restored_route);
          return true;
        });
    if (!restored) return std::move(restored).error();
  }
  return remove_backend_services(client_, target);
}

kube::Result<bool> GatewayRouteRouter::leftovers(const RolloutTarget& target) {
  return backend_services_exist(client_, target);
}

}  // namespace autocanary::traffic

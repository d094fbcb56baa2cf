#include "coordinator/traffic/gateway_api_router.h"

#include <algorithm>

#include "common/json_fields.h"
#include "coordinator/traffic/backend_services.h"
#include "coordinator/traffic/routing_objects.h"
#include "policy/names.h"

namespace autocanary::traffic {

namespace {

using nlohmann::json;

std::vector<int> service_ports(const RolloutTarget& target) {
  std::vector<int> ports;
  const json* listed = common::child(common::child(target.service, "spec"), "ports");
  if (listed == nullptr || !listed->is_array()) return ports;
  for (const json& port : *listed) {
    const json* number = common::child(&port, "port");
    if (number != nullptr && number->is_number_integer()) ports.push_back(number->get<int>());
  }
  return ports;
}

std::string route_name(const RolloutTarget& target, int port) {
  return target.service_name + "-autocanary-" + std::to_string(port);
}

json backend_ref(const std::string& name, int port, int weight) {
  // Written with the CRD's defaults, so an unchanged route compares equal.
  return {{"group", ""}, {"kind", "Service"}, {"name", name}, {"port", port}, {"weight", weight}};
}

}  // namespace

std::vector<json> build_http_routes(const RolloutTarget& target, int weight) {
  std::vector<json> routes;
  for (const int port : service_ports(target)) {
    json rule = {{"matches", json::array({{{"path", {{"type", "PathPrefix"}, {"value", "/"}}}}})},
                 {"backendRefs",
                  json::array({backend_ref(backend_service_name(target.service_name, Track::kStable), port, 100 - weight),
                               backend_ref(backend_service_name(target.service_name, Track::kCanary), port, weight)})}};
    routes.push_back(
        {{"apiVersion", target.api_version},
         {"kind", "HTTPRoute"},
         {"metadata", routing_metadata(target, route_name(target, port))},
         {"spec",
          {{"parentRefs",
            json::array({{{"group", ""}, {"kind", "Service"}, {"name", target.service_name}, {"port", port}}})},
           {"rules", json::array({std::move(rule)})}}}});
  }
  return routes;
}

std::optional<int> http_route_weight(const json& route, const std::string& service) {
  const json* rules = common::child(common::child(&route, "spec"), "rules");
  if (rules == nullptr || !rules->is_array() || rules->empty()) return std::nullopt;
  const json* refs = common::child(&rules->front(), "backendRefs");
  if (refs == nullptr || !refs->is_array()) return std::nullopt;
  double stable = -1;  // -1: no such backend
  double canary = -1;
  for (const json& ref : *refs) {
    const std::string name = common::string_field(&ref, "name");
    const json* weight = common::child(&ref, "weight");
    // An omitted weight is 1, as the API defines it.
    const double value = weight != nullptr && weight->is_number() ? weight->get<double>() : 1.0;
    if (name == backend_service_name(service, Track::kStable)) stable = value;
    if (name == backend_service_name(service, Track::kCanary)) canary = value;
  }
  if (stable < 0 || canary < 0) return std::nullopt;
  return percent_of(canary, stable);
}

kube::Result<std::vector<json>> GatewayApiRouter::our_routes(const RolloutTarget& target) {
  kube::ListOptions options;
  options.label_selector = std::string(names::kRoutingForLabel) + "=" + target.deployment;
  auto listed = client_.list(routing_ref(target.api_version, "httproutes", target.namespace_name), options);
  if (!listed) return std::move(listed).error();
  std::vector<json> routes = std::move(listed->items);
  std::sort(routes.begin(), routes.end(), [](const json& a, const json& b) {
    return common::metadata_string(a, "name") < common::metadata_string(b, "name");
  });
  return routes;
}

kube::Result<std::optional<int>> GatewayApiRouter::routed_weight(const RolloutTarget& target) {
  auto routes = our_routes(target);
  if (!routes) return std::move(routes).error();
  if (routes->empty()) return std::optional<int>();
  // Every port's route must agree; one that differs (or does not read) reports
  // 100 so that the planner writes the weight it wants again.
  std::optional<int> weight;
  for (const json& route : *routes) {
    const auto routed = http_route_weight(route, target.service_name);
    if (!routed || (weight && *weight != *routed)) return std::optional<int>(100);
    weight = routed;
  }
  return weight;
}

kube::Result<void> GatewayApiRouter::route(const RolloutTarget& target, int weight) {
  if (auto services = ensure_backend_services(client_, target); !services) return services;
  if (auto written = reweight(target, weight); !written) return written;
  // Routes of ports the Service no longer has.
  const std::vector<json> desired = build_http_routes(target, weight);
  auto existing = our_routes(target);
  if (!existing) return std::move(existing).error();
  for (const json& route : *existing) {
    const std::string name = common::metadata_string(route, "name");
    const bool wanted = std::any_of(desired.begin(), desired.end(), [&](const json& d) {
      return d["metadata"]["name"].get<std::string>() == name;
    });
    if (wanted) continue;
    auto removed = remove_owned(client_, routing_ref(target.api_version, "httproutes", target.namespace_name, name),
                                target.deployment);
    if (!removed) return removed;
  }
  return {};
}

kube::Result<void> GatewayApiRouter::reweight(const RolloutTarget& target, int weight) {
  for (const json& route : build_http_routes(target, weight)) {
    const auto ref = routing_ref(target.api_version, "httproutes", target.namespace_name,
                                 route["metadata"]["name"].get<std::string>());
    if (auto ensured = ensure_owned(client_, ref, route, target.deployment, {"/spec"}); !ensured) return ensured;
  }
  return {};
}

kube::Result<void> GatewayApiRouter::unroute(const RolloutTarget& target) {
  auto routes = our_routes(target);
  if (!routes) return std::move(routes).error();
  for (const json& route : *routes) {
    auto removed = remove_owned(client_,
                                routing_ref(target.api_version, "httproutes", target.namespace_name,
                                            common::metadata_string(route, "name")),
                                target.deployment);
    if (!removed) return removed;
  }
  return remove_backend_services(client_, target);
}

kube::Result<bool> GatewayApiRouter::leftovers(const RolloutTarget& target) {
  return backend_services_exist(client_, target);
}

}  // namespace autocanary::traffic

#include "coordinator/traffic/routers.h"

#include <algorithm>

#include "common/json_fields.h"
#include "coordinator/traffic/gateway_route.h"
#include "coordinator/traffic/routing_objects.h"
#include "policy/names.h"

namespace autocanary::traffic {

TrafficRouter& Routers::for_backend(policy::TrafficBackend backend) noexcept {
  switch (backend) {
    case policy::TrafficBackend::kSmi: return smi_;
    case policy::TrafficBackend::kGatewayApi: return gateway_api_;
    case policy::TrafficBackend::kIstio: return istio_;
    default: return pod_ratio_;
  }
}

TrafficRouter& Routers::for_router(std::string_view router) noexcept {
  if (router == kGatewayRouteRouter) return gateway_route_;
  return for_backend(backend_named(router));
}

kube::Result<std::string> Routers::user_gateway_route(const std::string& api_version,
                                                      const std::string& namespace_name, const std::string& service) {
  for (const char* resource : kUserRouteResources) {
    auto listed = client_.list(routing_ref(api_version, resource, namespace_name), {});
    if (!listed && listed.error().is_not_found()) continue;
    if (!listed) return std::move(listed).error();
    std::vector<nlohmann::json>& items = listed->items;
    std::sort(items.begin(), items.end(), [](const nlohmann::json& a, const nlohmann::json& b) {
      return common::metadata_string(a, "name") < common::metadata_string(b, "name");
    });
    for (nlohmann::json& item : items) {
      if (!common::label(item, names::kRoutingForLabel).empty()) continue;
      if (common::metadata_string(item, "namespace").empty()) item["metadata"]["namespace"] = namespace_name;
      if (attached_to_gateway(item) && sends_to_service(item, service))
        return std::string(resource == std::string_view("grpcroutes") ? "GRPCRoute " : "HTTPRoute ") +
               namespace_name + "/" + common::metadata_string(item, "name");
    }
  }
  return std::string();
}

kube::Result<nlohmann::json> Routers::resource_list(const nlohmann::json& groups, const std::string& group_version,
                                                   std::string_view resource) {
  const auto now = std::chrono::steady_clock::now();
  {
    const std::lock_guard lock(discovery_mutex_);
    if (groups != discovered_groups_) {
      resource_lists_.clear();
      discovered_groups_ = groups;
    }
    const auto found = resource_lists_.find(group_version);
    if (found != resource_lists_.end() && now - found->second.read_at < kResourceListMaxAge &&
        lists_resource(found->second.list, resource))
      return found->second.list;
  }
  auto read = client_.discover(group_version);
  if (!read) return read;
  const std::lock_guard lock(discovery_mutex_);
  if (groups == discovered_groups_) resource_lists_[group_version] = {*read, now};
  return read;
}

kube::Result<RoutingApis> Routers::discover() {
  auto groups = client_.discover("");
  if (!groups && groups.error().is_not_found()) return RoutingApis{};  // no discovery: nothing optional served
  if (!groups) return std::move(groups).error();
  // The first version (best first) whose resource list has the resource.
  const auto find = [&](const RoutingApi& api) -> kube::Result<std::string> {
    const auto served = served_versions(*groups, api.group);
    for (const std::string_view version : api.versions) {
      if (std::find(served.begin(), served.end(), version) == served.end()) continue;
      const std::string group_version = std::string(api.group) + "/" + std::string(version);
      auto resources = resource_list(*groups, group_version, api.resource);
      if (!resources) {
        if (resources.error().is_not_found()) continue;
        return std::move(resources).error();
      }
      if (lists_resource(*resources, api.resource)) return group_version;
    }
    return std::string();
  };
  RoutingApis apis;
  for (auto [api, slot] : {std::pair{&smi_api(), &apis.smi}, std::pair{&gateway_api(), &apis.gateway_api},
                           std::pair{&istio_api(), &apis.istio}}) {
    auto found = find(*api);
    if (!found) return std::move(found).error();
    *slot = std::move(*found);
  }
  if (!apis.gateway_api.empty()) {
    std::vector<nlohmann::json> classes;
    auto listed = client_.list(routing_ref(apis.gateway_api, "gatewayclasses", ""), {});
    if (listed) classes = std::move(listed->items);
    else if (!listed.error().is_not_found()) return std::move(listed).error();
    apis.gamma_mesh = gamma_implementation(*groups, classes);
  }
  return apis;
}

}  // namespace autocanary::traffic

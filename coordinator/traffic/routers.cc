#include "coordinator/traffic/routers.h"

#include <algorithm>

namespace autocanary::traffic {

TrafficRouter& Routers::for_backend(policy::TrafficBackend backend) noexcept {
  switch (backend) {
    case policy::TrafficBackend::kSmi: return smi_;
    case policy::TrafficBackend::kGatewayApi: return gateway_api_;
    case policy::TrafficBackend::kIstio: return istio_;
    default: return pod_ratio_;
  }
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
      auto resources = client_.discover(group_version);
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
  return apis;
}

}  // namespace autocanary::traffic

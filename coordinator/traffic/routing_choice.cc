#include "coordinator/traffic/routing_choice.h"

#include <algorithm>

#include "common/json_fields.h"
#include "policy/names.h"

namespace autocanary::traffic {

namespace {

using nlohmann::json;
using policy::TrafficBackend;

std::string api_name(TrafficBackend backend) { return std::string(policy::to_string(backend)); }

const std::string& served(const RoutingApis& apis, TrafficBackend backend) {
  switch (backend) {
    case TrafficBackend::kSmi: return apis.smi;
    case TrafficBackend::kGatewayApi: return apis.gateway_api;
    default: return apis.istio;
  }
}

const char* resource_of(TrafficBackend backend) {
  switch (backend) {
    case TrafficBackend::kSmi: return "SMI TrafficSplit";
    case TrafficBackend::kGatewayApi: return "Gateway API HTTPRoute";
    default: return "Istio VirtualService";
  }
}

RoutingChoice pod_ratio(std::string reason, std::string warning = {}) {
  return {TrafficBackend::kPodRatio, api_name(TrafficBackend::kPodRatio), "", std::move(reason), std::move(warning)};
}

RoutingChoice chosen(TrafficBackend backend, const RoutingApis& apis, std::string reason) {
  return {backend, api_name(backend), served(apis, backend), std::move(reason), ""};
}

// Gateway API for a Service: the user's route, else GAMMA (when `gamma_anyway`
// or a mesh implements it); nullopt when neither applies.
std::optional<RoutingChoice> gateway_choice(const RoutingApis& apis, const std::string& service,
                                            const std::string& user_route, const std::string& prefix,
                                            bool gamma_anyway) {
  if (!user_route.empty())
    return RoutingChoice{TrafficBackend::kGatewayApi, std::string(kGatewayRouteRouter), apis.gateway_api,
                         prefix + apis.gateway_api + " is served and " + user_route +
                             ", attached to a Gateway, sends to Service " + service + "; reweighting it in place",
                         ""};
  if (!apis.gamma_mesh.empty())
    return chosen(TrafficBackend::kGatewayApi, apis,
                  prefix + apis.gateway_api + " is served and " + apis.gamma_mesh +
                      " (a mesh implements GAMMA); splitting Service " + service + " with a Service-parented route");
  if (gamma_anyway)
    return chosen(TrafficBackend::kGatewayApi, apis,
                  prefix + "no route attached to a Gateway sends to Service " + service +
                      "; splitting it with a Service-parented (GAMMA) route, which only a mesh implements");
  return std::nullopt;
}

}  // namespace

const RoutingApi& smi_api() {
  static const RoutingApi api{"split.smi-spec.io", "trafficsplits", {"v1alpha4", "v1alpha3", "v1alpha2", "v1alpha1"}};
  return api;
}
const RoutingApi& gateway_api() {
  static const RoutingApi api{"gateway.networking.k8s.io", "httproutes", {"v1", "v1beta1"}};
  return api;
}
const RoutingApi& istio_api() {
  static const RoutingApi api{"networking.istio.io", "virtualservices", {"v1", "v1beta1", "v1alpha3"}};
  return api;
}

std::vector<std::string> served_versions(const json& group_list, std::string_view group) {
  std::vector<std::string> versions;
  const json* groups = common::child(&group_list, "groups");
  if (groups == nullptr || !groups->is_array()) return versions;
  for (const json& entry : *groups) {
    if (common::string_field(&entry, "name") != group) continue;
    const json* listed = common::child(&entry, "versions");
    if (listed == nullptr || !listed->is_array()) continue;
    for (const json& version : *listed) {
      const std::string name = common::string_field(&version, "version");
      if (!name.empty()) versions.push_back(name);
    }
  }
  return versions;
}

bool lists_resource(const json& resource_list, std::string_view resource) {
  const json* resources = common::child(&resource_list, "resources");
  if (resources == nullptr || !resources->is_array()) return false;
  return std::any_of(resources->begin(), resources->end(),
                     [&](const json& entry) { return common::string_field(&entry, "name") == resource; });
}

std::string gamma_implementation(const json& group_list, const std::vector<json>& gateway_classes) {
  for (const json& gateway_class : gateway_classes) {
    const json& features = common::array_field(common::child(&gateway_class, "status"), "supportedFeatures");
    for (const json& feature : features) {
      // Objects {name} since Gateway API v1.2; plain strings before.
      const std::string name = feature.is_string() ? feature.get<std::string>() : common::string_field(&feature, "name");
      if (name.rfind("Mesh", 0) == 0)
        return "GatewayClass " + common::metadata_string(gateway_class, "name") + " reports " + name;
    }
  }
  static const std::pair<std::string_view, std::string_view> meshes[] = {
      {"policy.linkerd.io", "Linkerd"}, {"kuma.io", "Kuma"}, {"networking.istio.io", "Istio"}};
  for (const auto& [group, mesh] : meshes)
    if (!served_versions(group_list, group).empty())
      return std::string(mesh) + " is installed (" + std::string(group) + " is served)";
  return {};
}

RoutingChoice choose_routing(TrafficBackend wanted, const RoutingApis& apis, const std::string& deployment,
                             const std::string& service, const std::string& user_route) {
  if (wanted == TrafficBackend::kPodRatio) return pod_ratio("the policy asks for podRatio");

  if (wanted == TrafficBackend::kAuto) {
    for (const TrafficBackend candidate : {TrafficBackend::kIstio, TrafficBackend::kSmi, TrafficBackend::kGatewayApi}) {
      if (served(apis, candidate).empty()) continue;
      if (service.empty())
        return pod_ratio("auto: " + served(apis, candidate) + " is served, but no Service selects the pods of " +
                             deployment,
                         "no Service selects the pods of Deployment " + deployment + ", so the " +
                             resource_of(candidate) + " router cannot split its traffic; routing by pod ratio");
      if (candidate == TrafficBackend::kGatewayApi) {
        if (auto gateway = gateway_choice(apis, service, user_route, "auto: ", false)) return *gateway;
        return pod_ratio("auto: " + apis.gateway_api + " is served, but no route attached to a Gateway sends to "
                         "Service " + service + " and no mesh implements GAMMA (Service-parented routes)");
      }
      return chosen(candidate, apis, "auto: " + served(apis, candidate) + " is served; splitting Service " + service);
    }
    return pod_ratio("auto: no SMI, Gateway API or Istio routing API is served");
  }

  const std::string name = api_name(wanted);
  if (served(apis, wanted).empty())
    return pod_ratio("the policy asks for " + name + ", which the cluster does not serve",
                     "trafficBackend " + name + ": the cluster serves no " + resource_of(wanted) +
                         "; routing by pod ratio");
  if (service.empty())
    return pod_ratio("the policy asks for " + name + ", but no Service selects the pods of " + deployment,
                     "no Service selects the pods of Deployment " + deployment + ", so the " + resource_of(wanted) +
                         " router cannot split its traffic; routing by pod ratio");
  if (wanted == TrafficBackend::kGatewayApi) return *gateway_choice(apis, service, user_route, "the policy asks for " + name + "; ", true);
  return chosen(wanted, apis, "the policy asks for " + name + "; splitting Service " + service);
}

const json* find_service(const json& deployment, const std::vector<json>& services) {
  const json::json_pointer labels_path{"/spec/template/metadata/labels"};
  if (!deployment.contains(labels_path) || !deployment.at(labels_path).is_object()) return nullptr;
  const json& pod_labels = deployment.at(labels_path);
  const std::string name = common::metadata_string(deployment, "name");

  const json* chosen = nullptr;
  for (const json& service : services) {
    if (!common::label(service, names::kRoutingForLabel).empty()) continue;  // one of ours
    const json* spec = common::child(&service, "spec");
    const json* selector = common::child(spec, "selector");
    if (selector == nullptr || !selector->is_object() || selector->empty()) continue;
    bool matches = true;
    for (const auto& [key, value] : selector->items()) {
      const auto found = pod_labels.find(key);
      matches = matches && found != pod_labels.end() && *found == value;
    }
    if (!matches) continue;
    const std::string service_name = common::metadata_string(service, "name");
    if (service_name == name) return &service;
    if (chosen == nullptr || service_name < common::metadata_string(*chosen, "name")) chosen = &service;
  }
  return chosen;
}

policy::TrafficBackend backend_named(std::string_view router) noexcept {
  if (router == kGatewayRouteRouter) return TrafficBackend::kGatewayApi;
  for (const TrafficBackend backend : {TrafficBackend::kSmi, TrafficBackend::kGatewayApi, TrafficBackend::kIstio})
    if (policy::to_string(backend) == router) return backend;
  return TrafficBackend::kPodRatio;
}

std::string match_labels_selector(const json& deployment) {
  const json::json_pointer path{"/spec/selector/matchLabels"};
  std::string selector;
  if (!deployment.contains(path) || !deployment.at(path).is_object()) return selector;
  for (const auto& [key, value] : deployment.at(path).items()) {
    if (!value.is_string()) continue;
    if (!selector.empty()) selector += ',';
    selector += key + "=" + value.get<std::string>();
  }
  return selector;
}

std::optional<std::string> stable_pod_template_hash(const json& deployment, const std::vector<json>& replica_sets) {
  const std::string uid = common::metadata_string(deployment, "uid");
  std::optional<std::string> hash;
  int with_pods = 0;
  for (const json& replica_set : replica_sets) {
    const json* owners = common::child(common::child(&replica_set, "metadata"), "ownerReferences");
    if (owners == nullptr || !owners->is_array() ||
        std::none_of(owners->begin(), owners->end(),
                     [&](const json& owner) { return common::string_field(&owner, "uid") == uid; }))
      continue;
    const json* spec_replicas = common::child(common::child(&replica_set, "spec"), "replicas");
    const json* status_replicas = common::child(common::child(&replica_set, "status"), "replicas");
    const auto positive = [](const json* value) {
      return value != nullptr && value->is_number_integer() && value->get<int>() > 0;
    };
    if (!positive(spec_replicas) && !positive(status_replicas)) continue;
    ++with_pods;
    hash = common::label(replica_set, names::kPodTemplateHashLabel);
  }
  if (with_pods != 1 || !hash || hash->empty()) return std::nullopt;
  return hash;
}

}  // namespace autocanary::traffic

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
  return {TrafficBackend::kPodRatio, "", std::move(reason), std::move(warning)};
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

RoutingChoice choose_routing(TrafficBackend wanted, const RoutingApis& apis, const std::string& deployment,
                             const std::string& service) {
  if (wanted == TrafficBackend::kPodRatio) return pod_ratio("the policy asks for podRatio");

  if (wanted == TrafficBackend::kAuto) {
    for (const TrafficBackend candidate : {TrafficBackend::kIstio, TrafficBackend::kSmi, TrafficBackend::kGatewayApi}) {
      if (served(apis, candidate).empty()) continue;
      if (service.empty())
        return pod_ratio("auto: " + served(apis, candidate) + " is served, but no Service selects the pods of " +
                             deployment,
                         "no Service selects the pods of Deployment " + deployment + ", so the " +
                             resource_of(candidate) + " router cannot split its traffic; routing by pod ratio");
      return {candidate, served(apis, candidate),
              "auto: " + served(apis, candidate) + " is served; splitting Service " + service, ""};
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
  return {wanted, served(apis, wanted), "the policy asks for " + name + "; splitting Service " + service, ""};
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

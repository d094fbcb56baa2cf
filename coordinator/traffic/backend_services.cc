#include "coordinator/traffic/backend_services.h"

#include "common/json_fields.h"
#include "coordinator/traffic/apex_service.h"
#include "coordinator/traffic/routing_objects.h"
#include "kube/resources.h"
#include "policy/names.h"

namespace autocanary::traffic {

namespace {

using nlohmann::json;

using kube::services;

}  // namespace

std::string backend_service_name(const std::string& service, Track track) {
  return service + (track == Track::kStable ? "-stable" : "-canary");
}

json build_backend_service(const RolloutTarget& target, Track track) {
  // The selector as the user wrote it, whatever the apex's narrowing added.
  const std::optional<json> restored =
      target.service != nullptr ? restored_apex(*target.service, target) : std::nullopt;
  const json* spec = common::child(restored ? &*restored : target.service, "spec");
  const json* user_selector = common::child(spec, "selector");
  json selector = user_selector != nullptr && user_selector->is_object() ? *user_selector : json::object();
  if (track == Track::kStable) {
    if (target.stable_pod_template_hash)
      selector[std::string(names::kPodTemplateHashLabel)] = *target.stable_pod_template_hash;
  } else {
    selector[std::string(names::kTrackLabel)] = "canary";
    selector[std::string(names::kCanaryOfLabel)] = target.deployment;
  }
  // The ports as the apiserver stores them (defaults filled), so an unchanged
  // Service compares equal and is not written again.
  json ports = json::array();
  if (const json* listed = common::child(spec, "ports"); listed != nullptr && listed->is_array()) {
    for (const json& port : *listed) {
      json copy = json::object();
      for (const char* field : {"name", "port", "targetPort", "protocol", "appProtocol"})
        if (const json* value = common::child(&port, field); value != nullptr) copy[field] = *value;
      if (!copy.contains("protocol")) copy["protocol"] = "TCP";
      if (!copy.contains("targetPort") && copy.contains("port")) copy["targetPort"] = copy["port"];
      ports.push_back(std::move(copy));
    }
  }
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata", routing_metadata(target, backend_service_name(target.service_name, track))},
          {"spec", {{"type", "ClusterIP"}, {"selector", std::move(selector)}, {"ports", std::move(ports)}}}};
}

kube::Result<void> ensure_backend_services(kube::KubeClient& client, const RolloutTarget& target) {
  for (const Track track : {Track::kStable, Track::kCanary}) {
    const json desired = build_backend_service(target, track);
    const std::string name = backend_service_name(target.service_name, track);
    auto ensured = ensure_owned(client, services(target.namespace_name, name), desired,
                                target.deployment, {"/spec/selector", "/spec/ports"});
    if (!ensured) return ensured;
  }
  return {};
}

kube::Result<void> remove_backend_services(kube::KubeClient& client, const RolloutTarget& target) {
  // Canary first: while the stable one exists, leftovers are visible to observe().
  for (const Track track : {Track::kCanary, Track::kStable}) {
    auto removed = remove_owned(
        client, services(target.namespace_name, backend_service_name(target.service_name, track)), target.deployment);
    if (!removed) return removed;
  }
  return {};
}

kube::Result<bool> backend_services_exist(kube::KubeClient& client, const RolloutTarget& target) {
  auto stable = get_if_exists(
      client, services(target.namespace_name, backend_service_name(target.service_name, Track::kStable)));
  if (!stable) return std::move(stable).error();
  return stable->has_value() && is_ours(**stable, target.deployment);
}

}  // namespace autocanary::traffic

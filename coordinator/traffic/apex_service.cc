#include "coordinator/traffic/apex_service.h"

#include <string>

#include "common/json_fields.h"
#include "kube/resources.h"
#include "policy/names.h"

namespace autocanary::traffic {

namespace {

using nlohmann::json;

const std::string kHashKey{names::kPodTemplateHashLabel};
const std::string kNarrowedFor{names::kNarrowedForAnnotation};

std::string narrowed_for(const json& service) {
  return common::annotation(service, names::kNarrowedForAnnotation).value_or("");
}

json without_narrowing(json service) {
  const json::json_pointer selector{"/spec/selector"};
  if (service.contains(selector) && service.at(selector).is_object()) service.at(selector).erase(kHashKey);
  const json::json_pointer annotations{"/metadata/annotations"};
  if (service.contains(annotations) && service.at(annotations).is_object()) {
    service.at(annotations).erase(kNarrowedFor);
    if (service.at(annotations).empty()) service["metadata"].erase("annotations");
  }
  return service;
}

bool apex_narrowed(const json& service, const RolloutTarget& target) {
  return narrowed_for(service) == target.deployment;
}

std::optional<json> if_changed(json changed, const json& service) {
  if (changed == service) return std::nullopt;
  return changed;
}

using Change = std::optional<json> (*)(const json&, const RolloutTarget&);

// Writes `change` of the live Service; starts from `just_read` when given.
kube::Result<void> update_apex(kube::KubeClient& client, const RolloutTarget& target, Change change,
                               const json* just_read) {
  const kube::ResourceRef ref = kube::services(target.namespace_name, target.service_name);
  const kube::Mutation mutate = [&](json& live) {
    auto changed = change(live, target);
    if (!changed) return false;
    live = std::move(*changed);
    return true;
  };
  auto updated = just_read != nullptr ? kube::update_with_conflict_retry(client, ref, *just_read, mutate)
                                      : kube::update_with_conflict_retry(client, ref, mutate);
  if (!updated && !updated.error().is_not_found()) return std::move(updated).error();
  return {};
}

}  // namespace

std::optional<json> narrowed_apex(const json& service, const RolloutTarget& target) {
  const std::string owner = narrowed_for(service);
  if (!owner.empty() && owner != target.deployment) return std::nullopt;
  const json* selector = common::child(common::child(&service, "spec"), "selector");
  if (selector == nullptr || !selector->is_object() || selector->empty()) return std::nullopt;  // selects nothing we know
  if (owner.empty() && selector->contains(kHashKey)) return std::nullopt;  // the user's own
  // While the stable workload rolls there is no one hash: the apex selects
  // every pod of the Deployment again, as `<svc>-stable` does.
  if (!target.stable_pod_template_hash) return if_changed(without_narrowing(service), service);
  json changed = service;
  changed["spec"]["selector"][kHashKey] = *target.stable_pod_template_hash;
  changed["metadata"]["annotations"][kNarrowedFor] = target.deployment;
  return if_changed(std::move(changed), service);
}

std::optional<json> restored_apex(const json& service, const RolloutTarget& target) {
  if (!apex_narrowed(service, target)) return std::nullopt;
  return if_changed(without_narrowing(service), service);
}

kube::Result<void> narrow_apex(kube::KubeClient& client, const RolloutTarget& target) {
  // Called before every routing write: the Service read this pass decides
  // whether a write is needed, so an unchanged apex costs nothing.
  if (target.service == nullptr || !narrowed_apex(*target.service, target)) return {};
  return update_apex(client, target, narrowed_apex, target.service);
}

kube::Result<void> restore_apex(kube::KubeClient& client, const RolloutTarget& target) {
  // Read again: the same pass may have narrowed it after reading it (the
  // weight-0 write after a promotion, then the cleanup).
  if (target.service == nullptr) return {};
  return update_apex(client, target, restored_apex, nullptr);
}

kube::Result<void> restore_apexes_of(kube::KubeClient& client, const std::string& namespace_name,
                                     const std::string& deployment) {
  auto listed = client.list(kube::services(namespace_name), {});
  if (!listed) return std::move(listed).error();
  for (const json& service : listed->items) {
    RolloutTarget target;
    target.namespace_name = namespace_name;
    target.deployment = deployment;
    target.service_name = common::metadata_string(service, "name");
    target.service = &service;
    if (!restored_apex(service, target)) continue;
    if (auto restored = update_apex(client, target, restored_apex, &service); !restored) return restored;
  }
  return {};
}

}  // namespace autocanary::traffic

#include "coordinator/traffic/routing_objects.h"

#include <cmath>

#include "common/json_fields.h"
#include "policy/names.h"

namespace autocanary::traffic {

namespace {

using nlohmann::json;

kube::KubeError not_ours(const kube::ResourceRef& ref) {
  return kube::KubeError{409, "AlreadyExists",
                         ref.resource + " " + ref.namespace_name + "/" + ref.name +
                             " exists and was not made by autocanary; it is left alone (rename it or choose "
                             "another trafficBackend)",
                         false};
}

}  // namespace

json routing_metadata(const RolloutTarget& target, const std::string& name) {
  json owner = {{"apiVersion", "apps/v1"},
                {"kind", "Deployment"},
                {"name", target.deployment},
                {"uid", target.stable != nullptr ? common::metadata_string(*target.stable, "uid") : ""}};
  return {{"name", name},
          {"namespace", target.namespace_name},
          {"labels",
           {{std::string(names::kManagedByLabel), std::string(names::kManagedByValue)},
            {std::string(names::kRoutingForLabel), target.deployment}}},
          {"ownerReferences", json::array({owner})}};
}

bool is_ours(const json& object, const std::string& deployment) {
  return common::label(object, names::kRoutingForLabel) == deployment;
}

kube::ResourceRef routing_ref(const std::string& api_version, const std::string& resource,
                              const std::string& namespace_name, const std::string& name) {
  const auto slash = api_version.find('/');
  if (slash == std::string::npos) return {"", api_version, resource, namespace_name, name, ""};
  return {api_version.substr(0, slash), api_version.substr(slash + 1), resource, namespace_name, name, ""};
}

kube::Result<std::optional<json>> get_if_exists(kube::KubeClient& client, const kube::ResourceRef& ref) {
  auto object = client.get(ref);
  if (object) return std::optional<json>(std::move(*object));
  if (object.error().is_not_found()) return std::optional<json>();
  return std::move(object).error();
}

kube::Result<void> ensure_owned(kube::KubeClient& client, const kube::ResourceRef& ref, const json& desired,
                                const std::string& deployment, const std::vector<std::string>& owned) {
  auto live = get_if_exists(client, ref);
  if (!live) return std::move(live).error();
  if (!live->has_value()) {
    kube::ResourceRef collection = ref;
    collection.name.clear();
    auto created = client.create(collection, desired);
    if (created || !created.error().is_already_exists()) {
      if (!created) return std::move(created).error();
      return {};
    }
  } else if (!is_ours(**live, deployment)) {
    return not_ours(ref);
  }
  bool foreign = false;
  const kube::Mutation take_ours = [&](json& object) {
    if (!is_ours(object, deployment)) {
      foreign = true;
      return false;
    }
    bool changed = false;
    for (const auto& pointer : owned) {
      const json::json_pointer path{pointer};
      const json wanted = desired.contains(path) ? desired.at(path) : json();
      const json current = object.contains(path) ? object.at(path) : json();
      if (wanted == current) continue;
      object[path] = wanted;
      changed = true;
    }
    return changed;
  };
  // The object read above is the update's first read, unless someone created
  // it in between.
  auto updated = live->has_value() ? kube::update_with_conflict_retry(client, ref, **std::move(live), take_ours)
                                   : kube::update_with_conflict_retry(client, ref, take_ours);
  if (!updated) return std::move(updated).error();
  if (foreign) return not_ours(ref);
  return {};
}

kube::Result<void> remove_owned(kube::KubeClient& client, const kube::ResourceRef& ref, const std::string& deployment) {
  auto live = get_if_exists(client, ref);
  if (!live) return std::move(live).error();
  if (!live->has_value() || !is_ours(**live, deployment)) return {};
  kube::DeleteOptions options;
  options.precondition_uid = common::metadata_string(**live, "uid");
  auto removed = client.remove(ref, options);
  if (!removed && !removed.error().is_not_found()) return std::move(removed).error();
  return {};
}

int percent_of(double canary, double stable) noexcept {
  const double total = canary + stable;
  if (!(total > 0) || canary < 0 || stable < 0) return 0;
  return static_cast<int>(std::lround(canary * 100.0 / total));
}

}  // namespace autocanary::traffic

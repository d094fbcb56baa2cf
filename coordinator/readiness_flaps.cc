#include "coordinator/readiness_flaps.h"

#include "common/json_fields.h"
#include "policy/names.h"

namespace autocanary::coordinator {

using nlohmann::json;

bool ReadinessFlaps::is_ready(const json& pod) {
  const json::json_pointer path{"/status/conditions"};
  if (!pod.contains(path) || !pod.at(path).is_array()) return false;
  for (const json& condition : pod.at(path))
    if (condition.is_object() && condition.value("type", json()) == "Ready")
      return condition.value("status", json()) == "True";
  return false;
}

bool ReadinessFlaps::is_leaving(const json& pod) {
  const json::json_pointer deletion{"/metadata/deletionTimestamp"};
  const json::json_pointer phase{"/status/phase"};
  if (pod.contains(deletion) && !pod.at(deletion).is_null()) return true;
  // An evicted pod is Failed; a finished one Succeeded: neither is the app flapping.
  return pod.contains(phase) && (pod.at(phase) == "Failed" || pod.at(phase) == "Succeeded");
}

void ReadinessFlaps::observe(const json& before, const json& after) {
  if (!is_ready(before) || is_ready(after) || is_leaving(after)) return;
  const std::string deployment = common::label(after, names::kCanaryOfLabel);
  const std::string revision = common::label(after, names::kCanaryRevisionLabel);
  if (deployment.empty()) return;
  const std::string namespace_name = after.value("/metadata/namespace"_json_pointer, std::string());
  const std::lock_guard lock(mutex_);
  ++flaps_[namespace_name + "/" + deployment + "/" + revision];
}

int ReadinessFlaps::count(const std::string& namespace_name, const std::string& deployment,
                          const std::string& revision) const {
  const std::lock_guard lock(mutex_);
  const auto found = flaps_.find(namespace_name + "/" + deployment + "/" + revision);
  return found == flaps_.end() ? 0 : found->second;
}

}  // namespace autocanary::coordinator

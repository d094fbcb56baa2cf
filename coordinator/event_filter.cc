#include "coordinator/event_filter.h"

#include <string>

#include "common/json_fields.h"
#include "coordinator/canary_record.h"
#include "kube/informer.h"
#include "policy/names.h"

namespace autocanary::coordinator {

namespace {

using nlohmann::json;

const json& field(const json& object, const char* pointer) {
  static const json kNull;
  const json::json_pointer path{pointer};
  return object.contains(path) ? object.at(path) : kNull;
}

bool same(const json& before, const json& after, const char* pointer) {
  return field(before, pointer) == field(after, pointer);
}

}  // namespace

std::function<void(json&)> project_managed_deployment() {
  auto metadata = kube::project_metadata({"/metadata/generation", "/metadata/deletionTimestamp"});
  return [metadata = std::move(metadata)](json& object) {
    json ours = json::object();
    if (const json* annotations = common::annotations(&object))
      for (const auto& [key, value] : annotations->items())
        if (key.starts_with(std::string(names::kGroup) + "/") && key != names::kPendingTemplateAnnotation)
          ours[key] = value;
    metadata(object);
    if (!ours.empty() && object.is_object()) object["metadata"]["annotations"] = std::move(ours);
  };
}

std::function<void(json&)> project_canary_record() {
  return kube::project_metadata({"/metadata/generation", "/metadata/deletionTimestamp", "/status/phase"});
}

bool deployment_change_matters(const json& before, const json& after) {
  for (const char* pointer :
       {"/metadata/generation", "/metadata/labels", "/metadata/annotations", "/metadata/deletionTimestamp"})
    if (!same(before, after, pointer)) return true;
  return false;
}

bool record_change_matters(const json& before, const json& after) {
  for (const char* pointer : {"/metadata/generation", "/metadata/labels", "/metadata/deletionTimestamp"})
    if (!same(before, after, pointer)) return true;
  return false;
}

bool rollout_active(const json* deployment, const json* record, bool canary_workload_exists) {
  if (canary_workload_exists) return true;
  if (deployment != nullptr) {
    const json& annotations = field(*deployment, "/metadata/annotations");
    if (annotations.is_object() && annotations.contains(std::string(names::kPendingRevisionAnnotation))) return true;
  }
  if (record != nullptr) {
    const json& phase = field(*record, "/status/phase");
    // A record without a phase yet is a rollout starting.
    if (!phase.is_string() || !is_terminal(phase_from_string(phase.get<std::string>()))) return true;
  }
  return false;
}

}  // namespace autocanary::coordinator

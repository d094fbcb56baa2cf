#include "webhook/coordinator/canary_workload.h"

#include "webhook/api/names.h"
#include "webhook/decision/template_revision.h"
#include "webhook/support/rfc3339.h"

namespace autocanary::coordinator {

namespace {

using nlohmann::json;

const json& at_path(const json& object, const char* pointer) {
  static const json kNull;
  const json::json_pointer path{pointer};
  return object.is_object() && object.contains(path) ? object.at(path) : kNull;
}

std::string text_at(const json& object, const char* pointer) {
  const json& value = at_path(object, pointer);
  return value.is_string() ? value.get<std::string>() : std::string();
}

int int_at(const json& object, const char* pointer, int fallback = 0) {
  const json& value = at_path(object, pointer);
  return value.is_number_integer() ? value.get<int>() : fallback;
}

std::optional<std::string> annotation(const json& object, std::string_view key) {
  const json& annotations = at_path(object, "/metadata/annotations");
  if (!annotations.is_object()) return std::nullopt;
  const auto found = annotations.find(key);
  if (found == annotations.end() || !found->is_string()) return std::nullopt;
  return found->get<std::string>();
}

// When a pod that is not Ready stopped being (or, never Ready, was created);
// nothing for a Ready pod.
std::optional<std::string> not_ready_since(const json& pod) {
  const json& conditions = at_path(pod, "/status/conditions");
  if (conditions.is_array()) {
    for (const json& condition : conditions) {
      if (text_at(condition, "/type") != "Ready") continue;
      if (text_at(condition, "/status") == "True") return std::nullopt;
      const std::string since = text_at(condition, "/lastTransitionTime");
      if (!since.empty()) return since;
    }
  }
  return text_at(pod, "/metadata/creationTimestamp");
}

}  // namespace

std::string canary_name(const std::string& deployment) { return deployment + "-canary"; }

std::string canary_pod_selector(const std::string& deployment) {
  return std::string(names::kTrackLabel) + "=canary," + std::string(names::kCanaryOfLabel) + "=" + deployment;
}

json build_canary_deployment(const json& stable, const json& pod_template, const std::string& revision,
                             int replicas, int weight) {
  const std::string name = text_at(stable, "/metadata/name");
  const json canary_labels = {{std::string(names::kTrackLabel), "canary"},
                              {std::string(names::kCanaryOfLabel), name}};

  json selector = at_path(stable, "/spec/selector");
  if (!selector.is_object()) selector = json::object();
  for (const auto& [key, value] : canary_labels.items()) selector["matchLabels"][key] = value;

  json pod = pod_template;
  for (const auto& [key, value] : canary_labels.items()) pod["metadata"]["labels"][key] = value;
  // Lets readiness changes of a pod be counted against the revision it runs.
  pod["metadata"]["labels"][std::string(names::kCanaryRevisionAnnotation)] = revision;

  json metadata = {
      {"name", canary_name(name)},
      {"namespace", text_at(stable, "/metadata/namespace")},
      {"labels", canary_labels},
      {"annotations",
       {{std::string(names::kCanaryRevisionAnnotation), revision},
        {std::string(names::kCanaryWeightAnnotation), std::to_string(weight)}}},
      {"ownerReferences",
       json::array({{{"apiVersion", "apps/v1"},
                     {"kind", "Deployment"},
                     {"name", name},
                     {"uid", text_at(stable, "/metadata/uid")}}})},
  };
  json spec = {{"replicas", replicas}, {"selector", selector}, {"template", pod}};
  if (const json& minimum = at_path(stable, "/spec/minReadySeconds"); minimum.is_number_integer())
    spec["minReadySeconds"] = minimum;
  return {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"metadata", metadata}, {"spec", spec}};
}

bool rolled_out(const json& deployment) {
  const int generation = int_at(deployment, "/metadata/generation");
  const int observed = int_at(deployment, "/status/observedGeneration");
  const int replicas = int_at(deployment, "/spec/replicas", 1);
  return observed >= generation && int_at(deployment, "/status/updatedReplicas") == replicas &&
         int_at(deployment, "/status/availableReplicas") == replicas &&
         int_at(deployment, "/status/replicas") == replicas;
}

Observed observe(const json& deployment, const json& canary, const std::vector<json>& canary_pods,
                 const json& record) {
  Observed o;
  o.deployment = text_at(deployment, "/metadata/name");
  o.stable_replicas = int_at(deployment, "/spec/replicas", 1);
  const json& live_template = at_path(deployment, "/spec/template");
  o.live_revision = live_template.is_object() ? decision::template_revision(live_template) : std::string();
  o.stable_rolled_out = rolled_out(deployment);
  // A pending revision counts only with its template: the canary is built from it.
  const auto pending = annotation(deployment, names::kPendingRevisionAnnotation);
  if (pending && annotation(deployment, names::kPendingTemplateAnnotation)) o.pending_revision = pending;
  if (annotation(deployment, names::kSkipAnnotation) == "true") o.pending_revision.reset();
  o.failed_revision = annotation(deployment, names::kFailedRevisionAnnotation);
  o.retry_annotation = annotation(deployment, names::kRetryAnnotation).has_value();

  if (canary.is_object()) {
    o.canary.exists = true;
    o.canary.revision = annotation(canary, names::kCanaryRevisionAnnotation).value_or("");
    o.canary.replicas = int_at(canary, "/spec/replicas", 1);
    o.canary.ready_replicas = int_at(canary, "/status/readyReplicas");
  }
  std::optional<support::SystemTime> oldest_not_ready;
  for (const json& pod : canary_pods) {
    const std::string pod_name = text_at(pod, "/metadata/name");
    if (!at_path(pod, "/metadata/deletionTimestamp").is_null()) continue;  // on its way out
    if (const auto since = not_ready_since(pod)) {
      const auto parsed = support::parse_rfc3339(*since);
      if (parsed && (!oldest_not_ready || *parsed < *oldest_not_ready)) {
        oldest_not_ready = parsed;
        o.canary.not_ready_pod = pod_name;
        o.canary.not_ready_since = *since;
      }
    }
    const json& statuses = at_path(pod, "/status/containerStatuses");
    if (!statuses.is_array()) continue;
    for (const json& status : statuses) {
      const int restarts = int_at(status, "/restartCount");
      o.canary.restarts += restarts;
      const std::string waiting = text_at(status, "/state/waiting/reason");
      if ((waiting == "CrashLoopBackOff" || restarts >= kCrashLoopRestarts) && !o.canary.crash_looping) {
        o.canary.crash_looping = true;
        o.canary.crash_loop = "pod " + pod_name + " container " + text_at(status, "/name") + ": " +
                              (waiting.empty() ? std::string("restarting") : waiting) + ", " +
                              std::to_string(restarts) + " restarts";
      }
    }
  }

  if (record.is_object()) {
    o.record_exists = true;
    o.requests = requests_from_json(at_path(record, "/spec"));
    o.status = status_from_json(at_path(record, "/status"));
  }
  return o;
}

}  // namespace autocanary::coordinator

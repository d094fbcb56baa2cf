#include "coordinator/canary_workload.h"

#include <algorithm>

#include "common/json_fields.h"
#include "common/rfc3339.h"
#include "policy/names.h"
#include "policy/template_revision.h"

namespace autocanary::coordinator {

namespace {

using nlohmann::json;
using common::annotation;
using common::int_at;
using common::string_at;
using common::value_at;

// When a pod that is not Ready stopped being (or, never Ready, was created);
// nothing for a Ready pod.
std::optional<std::string> not_ready_since(const json& pod) {
  const json& conditions = value_at(pod, "/status/conditions");
  if (conditions.is_array()) {
    for (const json& condition : conditions) {
      if (string_at(condition, "/type") != "Ready") continue;
      if (string_at(condition, "/status") == "True") return std::nullopt;
      const std::string since = string_at(condition, "/lastTransitionTime");
      if (!since.empty()) return since;
    }
  }
  return string_at(pod, "/metadata/creationTimestamp");
}

}  // namespace

bool is_canary_of(const json& canary, const json& deployment) {
  if (common::label(canary, names::kCanaryOfLabel) != string_at(deployment, "/metadata/name")) return false;
  const json& owners = value_at(canary, "/metadata/ownerReferences");
  const std::string uid = string_at(deployment, "/metadata/uid");
  return owners.is_array() && std::any_of(owners.begin(), owners.end(), [&](const json& owner) {
           return string_at(owner, "/uid") == uid && string_at(owner, "/kind") == "Deployment";
         });
}

std::string canary_pod_selector(const std::string& deployment) {
  return std::string(names::kTrackLabel) + "=canary," + std::string(names::kCanaryOfLabel) + "=" + deployment;
}

json build_canary_deployment(const json& stable, const json& pod_template, const std::string& revision,
                             int replicas, int weight) {
  const std::string name = string_at(stable, "/metadata/name");
  const json canary_labels = {{std::string(names::kTrackLabel), "canary"},
                              {std::string(names::kCanaryOfLabel), name}};

  json selector = value_at(stable, "/spec/selector");
  if (!selector.is_object()) selector = json::object();
  for (const auto& [key, value] : canary_labels.items()) selector["matchLabels"][key] = value;

  json pod = pod_template;
  for (const auto& [key, value] : canary_labels.items()) pod["metadata"]["labels"][key] = value;
  // Lets readiness changes of a pod be counted against the revision it runs.
  pod["metadata"]["labels"][std::string(names::kCanaryRevisionLabel)] = revision;

  json metadata = {
      {"name", names::canary_name(name)},
      {"namespace", string_at(stable, "/metadata/namespace")},
      {"labels", canary_labels},
      {"annotations",
       {{std::string(names::kCanaryRevisionAnnotation), revision},
        {std::string(names::kCanaryWeightAnnotation), std::to_string(weight)}}},
      {"ownerReferences",
       json::array({{{"apiVersion", "apps/v1"},
                     {"kind", "Deployment"},
                     {"name", name},
                     {"uid", string_at(stable, "/metadata/uid")}}})},
  };
  // Available only after being Ready for a while: the pod-health step waits for
  // that, so an app that crashes seconds after it starts is not promoted.
  const json& minimum = value_at(stable, "/spec/minReadySeconds");
  const int stable_minimum = minimum.is_number_integer() ? minimum.get<int>() : 0;
  json spec = {{"replicas", replicas},
               {"selector", selector},
               {"template", pod},
               {"minReadySeconds", std::max(stable_minimum, kCanaryMinReadySeconds)}};
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

// The controller's verdict on the current generation's rollout, if it gave up.
std::string rollout_stalled(const json& deployment) {
  if (int_at(deployment, "/status/observedGeneration") < int_at(deployment, "/metadata/generation")) return "";
  const json& conditions = value_at(deployment, "/status/conditions");
  if (!conditions.is_array()) return "";
  for (const json& condition : conditions) {
    if (string_at(condition, "/type") == "Progressing" && string_at(condition, "/status") == "False" &&
        string_at(condition, "/reason") == "ProgressDeadlineExceeded")
      return string_at(condition, "/message");
  }
  return "";
}

Observed observe(const json& deployment, const json& canary, const std::vector<json>& canary_pods,
                 const json& record) {
  Observed o;
  o.deployment = string_at(deployment, "/metadata/name");
  o.stable_replicas = int_at(deployment, "/spec/replicas", 1);
  o.progress_deadline = std::chrono::seconds(int_at(deployment, "/spec/progressDeadlineSeconds", 600));
  const json& live_template = value_at(deployment, "/spec/template");
  o.live_revision = live_template.is_object() ? policy::template_revision(live_template) : std::string();
  o.stable_rolled_out = rolled_out(deployment);
  o.deployment_paused = value_at(deployment, "/spec/paused") == true;
  o.stable_stalled = rollout_stalled(deployment);
  // A pending revision counts only with its template: the canary is built from it.
  const auto pending = annotation(deployment, names::kPendingRevisionAnnotation);
  if (pending && annotation(deployment, names::kPendingTemplateAnnotation)) o.pending_revision = pending;
  if (annotation(deployment, names::kSkipAnnotation) == "true") o.pending_revision.reset();
  o.failed_revision = annotation(deployment, names::kFailedRevisionAnnotation);
  o.retry_annotation = annotation(deployment, names::kRetryAnnotation).has_value();

  if (canary.is_object() && !is_canary_of(canary, deployment)) {
    o.canary.name_taken = true;
  } else if (canary.is_object()) {
    o.canary.exists = true;
    o.canary.deleting = !value_at(canary, "/metadata/deletionTimestamp").is_null();
    o.canary.revision = annotation(canary, names::kCanaryRevisionAnnotation).value_or("");
    o.canary.replicas = int_at(canary, "/spec/replicas", 1);
    o.canary.ready_replicas = int_at(canary, "/status/readyReplicas");
    o.canary.available_replicas = int_at(canary, "/status/availableReplicas");
  }
  std::optional<common::SystemTime> oldest_not_ready;
  for (const json& pod : canary_pods) {
    const std::string pod_name = string_at(pod, "/metadata/name");
    if (!value_at(pod, "/metadata/deletionTimestamp").is_null()) continue;  // on its way out
    if (const auto since = not_ready_since(pod)) {
      const auto parsed = common::parse_rfc3339(*since);
      if (parsed && (!oldest_not_ready || *parsed < *oldest_not_ready)) {
        oldest_not_ready = parsed;
        o.canary.not_ready_pod = pod_name;
        o.canary.not_ready_since = *since;
      }
    }
    const json& statuses = value_at(pod, "/status/containerStatuses");
    if (!statuses.is_array()) continue;
    for (const json& status : statuses) {
      const int restarts = int_at(status, "/restartCount");
      o.canary.restarts += restarts;
      const std::string waiting = string_at(status, "/state/waiting/reason");
      if ((waiting == "CrashLoopBackOff" || restarts >= kCrashLoopRestarts) && !o.canary.crash_looping) {
        o.canary.crash_looping = true;
        o.canary.crash_loop = "pod " + pod_name + " container " + string_at(status, "/name") + ": " +
                              (waiting.empty() ? std::string("restarting") : waiting) + ", " +
                              std::to_string(restarts) + " restarts";
      }
    }
  }

  if (record.is_object()) {
    o.record_exists = true;
    o.requests = requests_from_json(value_at(record, "/spec"));
    o.status = status_from_json(value_at(record, "/status"));
  }
  return o;
}

}  // namespace autocanary::coordinator

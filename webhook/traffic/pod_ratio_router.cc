#include "webhook/traffic/pod_ratio_router.h"

#include <cstdlib>

#include "webhook/api/names.h"
#include "webhook/decision/json_patch.h"
#include "webhook/kube/json_fields.h"
#include "webhook/traffic/canary_weight.h"
#include "webhook/traffic/pod_ratio.h"

namespace autocanary::traffic {

using nlohmann::json;

int PodRatioRouter::canary_replicas(const RolloutTarget& target, int weight) const {
  return split_for_weight(weight, kube::int_at(target.stable, "/spec/replicas", 1)).canary_replicas;
}

kube::Result<void> PodRatioRouter::set_weight(const RolloutTarget& target, int weight) {
  if (target.canary == nullptr) return {};  // no canary pods: nothing is routed to it
  // The weight is the pods: replicas and annotation in the same write.
  return patch_canary(client_, target, weight, canary_replicas(target, weight));
}

kube::Result<coordinator::TrafficView> PodRatioRouter::observe(const RolloutTarget& target) {
  coordinator::TrafficView view;
  const int stable = kube::int_at(target.stable, "/status/readyReplicas");
  if (target.canary == nullptr) {
    view.settled = true;
    return view;
  }
  const json& canary = *target.canary;
  const json::json_pointer weight_path{"/metadata/annotations/" +
                                       decision::escape_pointer_token(names::kCanaryWeightAnnotation)};
  if (canary.contains(weight_path) && canary.at(weight_path).is_string())
    view.applied_weight = std::atoi(canary.at(weight_path).get_ref<const std::string&>().c_str());
  const int wanted = kube::int_at(&canary, "/spec/replicas", 1);
  const int ready = kube::int_at(&canary, "/status/readyReplicas");
  view.actual_weight = actual_weight(ready, stable);
  view.settled = kube::int_at(&canary, "/status/observedGeneration") >= kube::int_at(&canary, "/metadata/generation") &&
                 ready == wanted && kube::int_at(&canary, "/status/replicas") == wanted;
  return view;
}

}  // namespace autocanary::traffic

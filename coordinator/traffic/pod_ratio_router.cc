#include "coordinator/traffic/pod_ratio_router.h"

#include <cstdlib>

#include "common/json_fields.h"
#include "common/json_patch.h"
#include "coordinator/traffic/canary_weight.h"
#include "coordinator/traffic/pod_ratio.h"
#include "policy/names.h"

namespace autocanary::traffic {

using nlohmann::json;

int PodRatioRouter::canary_replicas(const RolloutTarget& target, int weight) const {
  return split_for_weight(weight, common::int_at(target.stable, "/spec/replicas", 1)).canary_replicas;
}

kube::Result<void> PodRatioRouter::set_weight(const RolloutTarget& target, int weight) {
  if (target.canary == nullptr) return {};  // no canary pods: nothing is routed to it
  // The weight is the pods: replicas and annotation in the same write.
  return patch_canary(client_, target, weight, canary_replicas(target, weight));
}

kube::Result<TrafficView> PodRatioRouter::observe(const RolloutTarget& target) {
  TrafficView view;
  const int stable = common::int_at(target.stable, "/status/readyReplicas");
  if (target.canary == nullptr) {
    view.settled = true;
    return view;
  }
  const json& canary = *target.canary;
  const json::json_pointer weight_path{"/metadata/annotations/" +
                                       common::escape_pointer_token(names::kCanaryWeightAnnotation)};
  if (canary.contains(weight_path) && canary.at(weight_path).is_string())
    view.applied_weight = std::atoi(canary.at(weight_path).get_ref<const std::string&>().c_str());
  const int wanted = common::int_at(&canary, "/spec/replicas", 1);
  const int ready = common::int_at(&canary, "/status/readyReplicas");
  view.actual_weight = actual_weight(ready, stable);
  view.settled = common::int_at(&canary, "/status/observedGeneration") >= common::int_at(&canary, "/metadata/generation") &&
                 ready == wanted && common::int_at(&canary, "/status/replicas") == wanted;
  return view;
}

}  // namespace autocanary::traffic

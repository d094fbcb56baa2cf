#include "coordinator/traffic/mesh_router.h"

#include <algorithm>

#include "common/json_fields.h"
#include "common/json_patch.h"
#include "coordinator/traffic/apex_service.h"
#include "coordinator/traffic/backend_services.h"
#include "coordinator/traffic/canary_weight.h"
#include "policy/names.h"

namespace autocanary::traffic {

namespace {

using nlohmann::json;

kube::KubeError service_gone(const RolloutTarget& target) {
  return kube::KubeError{404, "NotFound",
                         "Service " + target.namespace_name + "/" + target.service_name +
                             ", which this canary splits, no longer exists; abort the canary or recreate the Service",
                         false};
}

}  // namespace

int mesh_canary_replicas(policy::CanaryReplicas mode, int weight, int stable_replicas) noexcept {
  const int stable = std::max(stable_replicas, 1);
  if (mode == policy::CanaryReplicas::kMatchStable) return stable;
  if (weight <= 0) return 0;
  return std::max(1, (stable * std::min(weight, 100) + 99) / 100);
}

int MeshRouter::canary_replicas(const RolloutTarget& target, int weight) const {
  return mesh_canary_replicas(target.canary_replicas, weight, common::int_at(target.stable, "/spec/replicas", 1));
}

kube::Result<void> MeshRouter::ensure(const RolloutTarget& target) {
  if (target.service == nullptr) return service_gone(target);
  if (auto narrowed = narrow_apex(client_, target); !narrowed) return narrowed;
  auto routed = routed_weight(target);
  if (!routed) return std::move(routed).error();
  return route(target, routed->value_or(0));
}

kube::Result<void> MeshRouter::scale_canary(const RolloutTarget& target, int weight) {
  if (target.canary == nullptr) return {};
  const int replicas = canary_replicas(target, weight);
  const std::string weight_text = std::to_string(weight);
  const json::json_pointer weight_path{"/metadata/annotations/" +
                                       common::escape_pointer_token(names::kCanaryWeightAnnotation)};
  const bool same_weight = target.canary->contains(weight_path) && target.canary->at(weight_path) == weight_text;
  // Weight 0 keeps the pods: nothing reaches them, and an aborted canary stays
  // inspectable until it is removed.
  const bool same_replicas = weight == 0 || common::int_at(target.canary, "/spec/replicas", 1) == replicas;
  if (same_weight && same_replicas) return {};
  return patch_canary(client_, target, weight, same_replicas ? std::nullopt : std::optional<int>(replicas));
}

kube::Result<void> MeshRouter::set_weight(const RolloutTarget& target, int weight) {
  if (target.service == nullptr) {
    if (weight == 0) return {};  // nothing can route to the canary through a Service that is gone
    return service_gone(target);
  }
  // Clients outside the mesh must not reach the canary by the apex's selector.
  if (auto narrowed = narrow_apex(client_, target); !narrowed) return narrowed;
  auto routed = routed_weight(target);
  if (!routed) return std::move(routed).error();
  const int current = routed->value_or(0);
  if (weight <= current) {
    // Less traffic never waits, and the route is written first: an abort's
    // time to weight 0 is one write.
    auto routed_now = routed->has_value() ? reweight(target, weight) : route(target, weight);
    if (!routed_now) return routed_now;
    // Then `<svc>-stable` is narrowed back to one ReplicaSet if it was widened
    // while the stable workload rolled (a promotion): widened, it selects the
    // canary's pods too, and they are deleted next.
    if (routed->has_value())
      if (auto backends = ensure_backend_services(client_, target); !backends) return backends;
    return scale_canary(target, weight);
  }
  // More traffic only to pods that can take it: the canary's ready pods must
  // number what the new weight needs.
  if (auto scaled = scale_canary(target, weight); !scaled) return scaled;
  const int needed = canary_replicas(target, weight);
  const bool ready = target.canary != nullptr && common::int_at(target.canary, "/status/readyReplicas") >= needed;
  return route(target, ready ? weight : current);
}

kube::Result<TrafficView> MeshRouter::observe(const RolloutTarget& target) {
  auto routed = routed_weight(target);
  if (!routed) return std::move(routed).error();
  TrafficView view;
  view.applied_weight = routed->value_or(0);
  view.actual_weight = view.applied_weight;
  view.routing_objects = routed->has_value();
  if (!view.routing_objects) {
    auto left = leftovers(target);
    if (!left) return std::move(left).error();
    view.routing_objects = *left;
  }
  const int needed = canary_replicas(target, view.applied_weight);
  view.settled = view.applied_weight == 0 ||
                 (target.canary != nullptr && common::int_at(target.canary, "/status/readyReplicas") >= needed);
  return view;
}

kube::Result<void> MeshRouter::cleanup(const RolloutTarget& target) {
  // The apex first: the canary's pods are gone by now, and while a route
  // object is left observe() sees it, so a failed pass is cleaned up again.
  if (auto restored = restore_apex(client_, target); !restored) return restored;
  return unroute(target);
}

}  // namespace autocanary::traffic

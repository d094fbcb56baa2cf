// The user's Service (the apex) while a mesh splits it. A mesh weighs only its
// own clients' requests; a client outside the mesh (an ingress controller
// without a sidecar, a job, a node) goes through kube-proxy to every endpoint
// the Service selects. The canary's pods carry the app's labels, so without
// more the apex would give such clients the canary's share of the pods — half
// from weight 0 with `canaryReplicas: matchStable`. So for the rollout the apex
// is narrowed to the stable ReplicaSet (its pod-template-hash added to the
// selector, as `<svc>-stable` selects) and the canary is reached only through
// the mesh, at the weight it is given. The hash is a label the deployment
// controller already sets: narrowing restarts nothing. The selector is widened
// again while the stable workload rolls (a promotion) and restored at the end.
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include "coordinator/traffic/traffic_router.h"
#include "kube/kube_client.h"

namespace autocanary::traffic {

// The apex as it should be for `target` (narrowed to the stable hash, or
// widened while there is none), or nullopt when it already is, or when its
// selector has a pod-template-hash of the user's own or another Deployment's
// narrowing (left alone).
[[nodiscard]] std::optional<nlohmann::json> narrowed_apex(const nlohmann::json& service, const RolloutTarget& target);

// The apex with `target`'s narrowing removed, or nullopt when it has none.
[[nodiscard]] std::optional<nlohmann::json> restored_apex(const nlohmann::json& service, const RolloutTarget& target);

// Writes narrowed_apex() / restored_apex() when they change something.
[[nodiscard]] kube::Result<void> narrow_apex(kube::KubeClient& client, const RolloutTarget& target);
[[nodiscard]] kube::Result<void> restore_apex(kube::KubeClient& client, const RolloutTarget& target);

// Every Service of `namespace_name` narrowed for `deployment` put back: for a
// Deployment deleted mid-rollout, whose route objects the garbage collector
// removes with it but whose apex is the user's. Without this a Deployment
// created again with another template would start behind a Service that
// selects none of its pods.
[[nodiscard]] kube::Result<void> restore_apexes_of(kube::KubeClient& client, const std::string& namespace_name,
                                                   const std::string& deployment);

}  // namespace autocanary::traffic

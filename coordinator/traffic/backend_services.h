// `<svc>-stable` and `<svc>-canary`: the Services the SMI and Gateway API
// routers split the user's Service (the apex) between. They copy its ports;
// the stable one selects the stable ReplicaSet by its pod-template-hash — a
// label the deployment controller already sets, so no stable pod restarts when
// a namespace opts in — and the canary one the canary workload's pods.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "coordinator/traffic/traffic_router.h"
#include "kube/kube_client.h"

namespace autocanary::traffic {

enum class Track { kStable, kCanary };

[[nodiscard]] std::string backend_service_name(const std::string& service, Track track);

// The Service for `track` of `target` (which must name the user's Service).
[[nodiscard]] nlohmann::json build_backend_service(const RolloutTarget& target, Track track);

[[nodiscard]] kube::Result<void> ensure_backend_services(kube::KubeClient& client, const RolloutTarget& target);
[[nodiscard]] kube::Result<void> remove_backend_services(kube::KubeClient& client, const RolloutTarget& target);
[[nodiscard]] kube::Result<bool> backend_services_exist(kube::KubeClient& client, const RolloutTarget& target);

}  // namespace autocanary::traffic

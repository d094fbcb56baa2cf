// The canary Deployment's side of a weight change, shared by every router: its
// autocanary.io/weight annotation (what the coordinator reads back as applied)
// and, when the router sizes it, its replicas, in one merge patch.
#pragma once

#include <optional>

#include "coordinator/traffic/traffic_router.h"
#include "kube/kube_client.h"

namespace autocanary::traffic {

// A canary already gone is no error: nothing routes to it.
[[nodiscard]] kube::Result<void> patch_canary(kube::KubeClient& client, const RolloutTarget& target, int weight,
                                              std::optional<int> replicas);

}  // namespace autocanary::traffic

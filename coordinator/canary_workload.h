// The canary workload and what is observed of it, as pure functions of objects:
// building `<name>-canary` from the Deployment and its pending template, and
// reading a Deployment, its canary, its pods and its Canary into an Observed.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "coordinator/rollout_planner.h"

namespace autocanary::coordinator {

// The canary Deployment running `pod_template` (the pending revision): the
// stable Deployment's selector plus the canary track label, owned by the
// stable Deployment so deleting it deletes the canary.
[[nodiscard]] nlohmann::json build_canary_deployment(const nlohmann::json& stable,
                                                     const nlohmann::json& pod_template,
                                                     const std::string& revision, int replicas,
                                                     int weight);

// Label selector (as a string) of the canary's pods.
// The least time a canary pod must be Ready, its containers not restarting,
// before it counts as available (the Deployment's minReadySeconds, if longer).
inline constexpr int kCanaryMinReadySeconds = 10;

[[nodiscard]] std::string canary_pod_selector(const std::string& deployment);

// Whether `canary` is the canary workload autocanary made for `deployment`:
// labelled canary-of it and owned by it (its UID), not merely named like it.
[[nodiscard]] bool is_canary_of(const nlohmann::json& canary, const nlohmann::json& deployment);

// Everything the planner needs, read from the cluster's objects. `canary`,
// `record` may be null (absent); `canary_pods` are the canary's pods.
[[nodiscard]] Observed observe(const nlohmann::json& deployment, const nlohmann::json& canary,
                               const std::vector<nlohmann::json>& canary_pods,
                               const nlohmann::json& record);

// The Deployment's replicas all run its live template and are available.
[[nodiscard]] bool rolled_out(const nlohmann::json& deployment);

// A restart count at or above which a container counts as crash-looping even
// before the kubelet reports CrashLoopBackOff.
inline constexpr int kCrashLoopRestarts = 3;

}  // namespace autocanary::coordinator

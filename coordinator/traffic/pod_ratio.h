// Traffic by pod count, for clusters without a mesh: the user's Service selects
// stable and canary pods alike, so the canary's share is its share of the pods.
// Stable pods are never removed; canary pods are added beside them.
#pragma once

namespace autocanary::traffic {

struct PodSplit {
  int canary_replicas = 0;
  int actual_weight = 0;  // percent of the pods that are canary pods, rounded
};

// The canary replica count whose share of all pods comes closest to `weight`
// percent with `stable_replicas` stable pods. A weight above 0 gets at least one
// canary pod; 100 cannot be reached by adding pods, so it is served by promotion
// and gets as many canary pods as stable ones here. With 4 stable pods, 25% is
// 1 canary pod, an actual 20%.
[[nodiscard]] PodSplit split_for_weight(int weight, int stable_replicas) noexcept;

// The percentage of `canary` among `stable + canary` pods, rounded.
[[nodiscard]] int actual_weight(int canary_replicas, int stable_replicas) noexcept;

}  // namespace autocanary::traffic

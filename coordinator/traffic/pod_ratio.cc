#include "coordinator/traffic/pod_ratio.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace autocanary::traffic {

int actual_weight(int canary_replicas, int stable_replicas) noexcept {
  const int total = canary_replicas + std::max(stable_replicas, 0);
  if (canary_replicas <= 0 || total <= 0) return 0;
  return static_cast<int>(std::lround(100.0 * canary_replicas / total));
}

PodSplit split_for_weight(int weight, int stable_replicas) noexcept {
  const int stable = std::max(stable_replicas, 0);
  if (weight <= 0) return {0, 0};
  if (weight >= 100 || stable == 0) {
    const int canary = std::max(stable, 1);
    return {canary, actual_weight(canary, stable)};
  }
  // c / (stable + c) = w  ⇔  c = stable · w / (100 − w); compare its neighbours.
  const double exact = static_cast<double>(stable) * weight / (100.0 - weight);
  int best = std::max(1, static_cast<int>(std::floor(exact)));
  for (int candidate : {best, best + 1}) {
    const double error = std::abs(100.0 * candidate / (stable + candidate) - weight);
    const double best_error = std::abs(100.0 * best / (stable + best) - weight);
    if (error < best_error) best = candidate;
  }
  return {best, actual_weight(best, stable)};
}

}  // namespace autocanary::traffic

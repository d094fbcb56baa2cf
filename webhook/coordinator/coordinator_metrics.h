// The coordinator's Prometheus metrics, registered once and shared.
#pragma once

#include "webhook/support/metrics.h"

namespace autocanary::coordinator {

struct CoordinatorMetrics {
  explicit CoordinatorMetrics(support::MetricsRegistry& registry)
      : reconciles(registry.add<support::CounterVec>("autocanary_coordinator_reconciles_total",
                                                     "Reconcile passes by result.", "result")),
        reconcile_seconds(registry.add<support::Histogram>(
            "autocanary_coordinator_reconcile_duration_seconds", "Time of one reconcile pass.",
            std::vector<double>{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5})),
        step_seconds(registry.add<support::Histogram>(
            "autocanary_coordinator_step_duration_seconds", "Time from a step's start to its end.",
            std::vector<double>{1, 5, 15, 30, 60, 300, 900, 3600})),
        rollouts(registry.add<support::CounterVec>("autocanary_coordinator_rollouts_total",
                                                   "Finished canaries by outcome.", "outcome")),
        abort_to_zero_seconds(registry.add<support::Histogram>(
            "autocanary_coordinator_abort_to_zero_weight_seconds",
            "From the pass that saw a failing check to the canary's weight being 0 in the apiserver.",
            std::vector<double>{0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 5})) {}

  support::CounterVec& reconciles;
  support::Histogram& reconcile_seconds;
  support::Histogram& step_seconds;
  support::CounterVec& rollouts;
  support::Histogram& abort_to_zero_seconds;
};

}  // namespace autocanary::coordinator

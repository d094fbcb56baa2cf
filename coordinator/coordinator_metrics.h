// The coordinator's Prometheus metrics, registered once and shared.
#pragma once

#include "common/metrics.h"

namespace autocanary::coordinator {

struct CoordinatorMetrics {
  explicit CoordinatorMetrics(common::MetricsRegistry& registry)
      : reconciles(registry.add<common::CounterVec>("autocanary_coordinator_reconciles_total",
                                                     "Reconcile passes by result.", "result")),
        reconcile_seconds(registry.add<common::Histogram>(
            "autocanary_coordinator_reconcile_duration_seconds", "Time of one reconcile pass.",
            std::vector<double>{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5})),
        step_seconds(registry.add<common::Histogram>(
            "autocanary_coordinator_step_duration_seconds", "Time from a step's start to its end.",
            std::vector<double>{1, 5, 15, 30, 60, 300, 900, 3600})),
        rollouts(registry.add<common::CounterVec>("autocanary_coordinator_rollouts_total",
                                                   "Finished canaries by outcome.", "outcome")),
        abort_to_zero_seconds(registry.add<common::Histogram>(
            "autocanary_coordinator_abort_to_zero_weight_seconds",
            "From the pass that saw a failing check to the canary's weight being 0 in the apiserver.",
            std::vector<double>{0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 5})),
        measurements(registry.add<common::LabeledValues>(
            "autocanary_coordinator_analysis_measurements_total",
            "Measurements taken by analyses and tests, by name and outcome.", common::LabeledValues::Type::kCounter,
            std::vector<std::string>{"analysis", "outcome"})),
        last_value(registry.add<common::LabeledValues>(
            "autocanary_coordinator_analysis_last_value", "The latest value an analysis measured.",
            common::LabeledValues::Type::kGauge, std::vector<std::string>{"namespace", "deployment", "analysis"})),
        measurement_seconds(registry.add<common::Histogram>(
            "autocanary_coordinator_analysis_measurement_duration_seconds",
            "Time one measurement took (a query, a gate request, a test Job look-up).",
            std::vector<double>{0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30})) {}

  common::CounterVec& reconciles;
  common::Histogram& reconcile_seconds;
  common::Histogram& step_seconds;
  common::CounterVec& rollouts;
  common::Histogram& abort_to_zero_seconds;
  common::LabeledValues& measurements;
  common::LabeledValues& last_value;
  common::Histogram& measurement_seconds;
};

}  // namespace autocanary::coordinator

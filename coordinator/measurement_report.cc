#include "coordinator/measurement_report.h"

namespace autocanary::coordinator {

void report_measurement(CoordinatorMetrics& metrics, common::Logger& logger, const analysis::MeasurementKey& key,
                        const analysis::MeasurementRecord& record, std::chrono::duration<double> took) {
  metrics.measurement_seconds.observe(took.count());
  metrics.measurements.inc({key.analysis, std::string(analysis::to_string(record.outcome))});
  if (record.value) {
    const auto slash = key.rollout.find('/');
    metrics.last_value.set({key.rollout.substr(0, slash), key.rollout.substr(slash + 1), key.analysis},
                           *record.value);
  }
  logger.info("measurement", {{"deployment", key.rollout},
                              {"analysis", key.analysis},
                              {"outcome", analysis::to_string(record.outcome)},
                              {"message", record.message}});
}

}  // namespace autocanary::coordinator

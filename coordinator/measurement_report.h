// What the coordinator does with a finished measurement besides keeping it for
// its rollout's next pass: counts it in its metrics and logs it.
#pragma once

#include <chrono>

#include "common/log.h"
#include "coordinator/analysis/measurement_executor.h"
#include "coordinator/coordinator_metrics.h"

namespace autocanary::coordinator {

void report_measurement(CoordinatorMetrics& metrics, common::Logger& logger, const analysis::MeasurementKey& key,
                        const analysis::MeasurementRecord& record, std::chrono::duration<double> took);

}  // namespace autocanary::coordinator

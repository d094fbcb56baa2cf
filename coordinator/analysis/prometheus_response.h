// Reading the answer of Prometheus's instant-query API (/api/v1/query) as one
// measurement: a single value, no data, or an error that says what went wrong.
// Pure, so every shape of answer is a unit test.
#pragma once

#include <string_view>

#include "coordinator/analysis/measurement.h"

namespace autocanary::analysis {

// `http_status` and `body` of the answer to `query` (the rendered query, quoted
// in messages).
[[nodiscard]] Measurement read_prometheus_answer(int http_status, std::string_view body, std::string_view query);

}  // namespace autocanary::analysis

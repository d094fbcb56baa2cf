// Analysis provider: an HTTP gate. Each measurement POSTs a JSON description
// of the rollout to the gate's URL; a 2xx answer passes, any other answer
// fails (with a successCondition, the 2xx body's number is judged instead). A
// request without an answer is tried again up to `retries` times, each bounded
// by the timeout, then counts as inconclusive.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "coordinator/analysis/analysis_provider.h"
#include "coordinator/analysis/http_endpoint.h"

namespace autocanary::analysis {

// What the gate is told.
[[nodiscard]] nlohmann::json gate_payload(const AnalysisContext& context);

// The gate's answer as a measurement; `judge_value`: the body is a number (or
// {"value": number}) for the success condition.
[[nodiscard]] Measurement read_gate_answer(const HttpAnswer& answer, bool judge_value);

class HttpGateProvider final : public AnalysisProvider {
 public:
  explicit HttpGateProvider(policy::AnalysisDefinition definition);

  [[nodiscard]] Measurement measure(const AnalysisContext& context, std::stop_token stop) override;

 private:
  policy::AnalysisDefinition definition_;
};

}  // namespace autocanary::analysis

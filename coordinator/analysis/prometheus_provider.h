// Analysis provider: an instant query over Prometheus's HTTP API, with the
// rollout's names templated in. One measurement is the query's single value;
// with a minimumSample, a sample query runs first and a value resting on fewer
// samples is inconclusive.
#pragma once

#include <string>

#include "coordinator/analysis/analysis_provider.h"
#include "coordinator/analysis/http_endpoint.h"

namespace autocanary::analysis {

class PrometheusProvider final : public AnalysisProvider {
 public:
  // `default_address` serves definitions without prometheus.address.
  PrometheusProvider(policy::AnalysisDefinition definition, std::string default_address);

  [[nodiscard]] Measurement measure(const AnalysisContext& context, std::stop_token stop) override;

 private:
  [[nodiscard]] Measurement query(const Endpoint& endpoint, const std::string& query_template,
                                  const AnalysisContext& context, std::stop_token stop) const;
  // nullopt when the samples suffice, else the measurement saying why not.
  [[nodiscard]] std::optional<Measurement> too_few_samples(const Endpoint& endpoint, const AnalysisContext& context,
                                                           std::stop_token stop) const;

  policy::AnalysisDefinition definition_;
  std::string default_address_;
};

}  // namespace autocanary::analysis

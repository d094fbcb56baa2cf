// Analysis provider: an instant query over Prometheus's HTTP API, with the
// rollout's names templated in. One measurement is the query's single value.
#pragma once

#include <string>

#include "webhook/analysis/analysis_provider.h"

namespace autocanary::analysis {

class PrometheusProvider final : public AnalysisProvider {
 public:
  // `default_address` serves definitions without prometheus.address.
  PrometheusProvider(policy::AnalysisDefinition definition, std::string default_address);

  [[nodiscard]] Measurement measure(const AnalysisContext& context) override;

 private:
  policy::AnalysisDefinition definition_;
  std::string default_address_;
};

}  // namespace autocanary::analysis

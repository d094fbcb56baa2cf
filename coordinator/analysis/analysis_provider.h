// A source of measurements for the analysis and test steps of a policy: a
// Prometheus query, an HTTP gate, a test Job. One implementation per file,
// built per rollout from the policy in force (provider_factory). A provider
// only measures; judging and tallying are pure (measurement.h). The built-in
// pod-health analysis needs no provider: the planner judges it from the pods.
#pragma once

#include <memory>
#include <stop_token>

#include "coordinator/analysis/analysis_context.h"
#include "coordinator/analysis/measurement.h"
#include "policy/canary_policy.h"

namespace autocanary::analysis {

class AnalysisProvider {
 public:
  virtual ~AnalysisProvider() = default;

  // One look at the canary. Never throws and never blocks longer than the
  // definition's timeouts allow: a failure to measure is a kError measurement.
  // A stop requested on `stop` (the coordinator is stopping) ends it soon,
  // with a kError measurement nobody records.
  [[nodiscard]] virtual Measurement measure(const AnalysisContext& context, std::stop_token stop) = 0;
};

// Builds the provider of a policy's analysis or test.
class ProviderFactory {
 public:
  virtual ~ProviderFactory() = default;
  [[nodiscard]] virtual std::unique_ptr<AnalysisProvider> analysis(const policy::AnalysisDefinition& definition) = 0;
  [[nodiscard]] virtual std::unique_ptr<AnalysisProvider> test(const policy::TestDefinition& definition) = 0;
};

}  // namespace autocanary::analysis

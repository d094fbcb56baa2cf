// A source of verdicts for the analysis and test steps of a policy: a metric
// query, a test Job, an HTTP gate. One implementation per file; the
// coordinator looks providers up by the name a step uses. The built-in pod
// health check needs no provider: the planner judges it from the pods.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "webhook/coordinator/rollout_planner.h"

namespace autocanary::analysis {

// What a provider may template into its query or request.
struct AnalysisContext {
  std::string namespace_name;
  std::string deployment;
  std::string canary_deployment;
  std::string revision;         // the canary's
  std::string stable_revision;  // the live template's
  int step_index = 0;
  std::string step_started_at;  // RFC 3339
};

class AnalysisProvider {
 public:
  virtual ~AnalysisProvider() = default;

  // One look at the canary: kPassed, kFailed (with why), or kPending while the
  // evidence is not yet conclusive. Called on every reconcile pass of the step,
  // so a provider keeps its own measurement schedule.
  [[nodiscard]] virtual coordinator::CheckResult check(const AnalysisContext& context) = 0;
};

// Providers by the analysis or test name a step uses.
using AnalysisProviders = std::map<std::string, AnalysisProvider*, std::less<>>;

}  // namespace autocanary::analysis

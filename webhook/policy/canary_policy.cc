#include "webhook/policy/canary_policy.h"

#include <string>

namespace autocanary::policy {

CanaryPolicy builtin_default_policy() {
  CanaryPolicy policy;
  policy.steps = {
      SetWeightStep{25},
      AnalysisStep{{"pod-health"}},
      SetWeightStep{100},
  };
  return policy;
}

std::vector<std::string> validate(const CanaryPolicy& policy) {
  std::vector<std::string> problems;
  if (policy.steps.empty()) problems.emplace_back("steps: at least one step is required");
  int last_weight = -1;
  for (std::size_t i = 0; i < policy.steps.size(); ++i) {
    const std::string where = "steps[" + std::to_string(i) + "]";
    if (const auto* set_weight = std::get_if<SetWeightStep>(&policy.steps[i])) {
      if (set_weight->weight < 0 || set_weight->weight > 100)
        problems.push_back(where + ".setWeight: must be between 0 and 100, got " +
                           std::to_string(set_weight->weight));
      last_weight = set_weight->weight;
    } else if (const auto* pause = std::get_if<PauseStep>(&policy.steps[i])) {
      if (pause->duration && pause->duration->count() < 0)
        problems.push_back(where + ".pause.duration: must not be negative");
    } else if (const auto* analysis = std::get_if<AnalysisStep>(&policy.steps[i])) {
      if (analysis->analyses.empty())
        problems.push_back(where + ".analysis: names no analysis to run");
    } else if (const auto* test = std::get_if<TestStep>(&policy.steps[i])) {
      if (test->name.empty()) problems.push_back(where + ".test: needs a name");
    }
  }
  if (!policy.steps.empty() && last_weight != 100)
    problems.emplace_back("steps: the last setWeight must be 100 so the canary can be promoted");
  if (policy.abort_scale_down_delay.count() < 0)
    problems.emplace_back("abortScaleDownDelay: must not be negative");
  return problems;
}

}  // namespace autocanary::policy

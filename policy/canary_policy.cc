#include "policy/canary_policy.h"

#include <algorithm>
#include <string>

#include "policy/query_template.h"

namespace autocanary::policy {

std::string_view to_string(TrafficBackend backend) noexcept {
  switch (backend) {
    case TrafficBackend::kAuto: return "auto";
    case TrafficBackend::kPodRatio: return "podRatio";
    case TrafficBackend::kSmi: return "smi";
    case TrafficBackend::kGatewayApi: return "gatewayAPI";
    case TrafficBackend::kIstio: return "istio";
  }
  return "auto";
}

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
      for (const auto& name : analysis->analyses) {
        const bool defined = name == "pod-health" ||
                             std::any_of(policy.analyses.begin(), policy.analyses.end(),
                                         [&](const AnalysisDefinition& a) { return a.name == name; });
        if (!defined) problems.push_back(where + ".analysis: \"" + name + "\" is not defined in analyses");
      }
    } else if (const auto* test = std::get_if<TestStep>(&policy.steps[i])) {
      if (test->name.empty()) {
        problems.push_back(where + ".test: needs a name");
      } else if (std::none_of(policy.tests.begin(), policy.tests.end(),
                              [&](const TestDefinition& t) { return t.name == test->name; })) {
        problems.push_back(where + ".test: \"" + test->name + "\" is not defined in tests");
      }
    }
  }
  if (!policy.steps.empty() && last_weight != 100)
    problems.emplace_back("steps: the last setWeight must be 100 so the canary can be promoted");
  if (policy.abort_scale_down_delay.count() < 0)
    problems.emplace_back("abortScaleDownDelay: must not be negative");
  for (std::size_t i = 0; i < policy.analyses.size(); ++i) {
    const auto& analysis = policy.analyses[i];
    const std::string where = "analyses[" + std::to_string(i) + "]";
    if (analysis.name.empty() || analysis.name == "pod-health")
      problems.push_back(where + ".name: must be set and not the built-in pod-health");
    if (analysis.provider == AnalysisDefinition::Provider::kPrometheus) {
      if (analysis.query.empty()) problems.push_back(where + ".prometheus.query: an analysis needs a query");
      for (const auto& problem : query_template_problems(analysis.query))
        problems.push_back(where + ".prometheus.query: " + problem);
      if (!analysis.max && !analysis.min)
        problems.push_back(where + ".successCondition: needs max or min");
      for (const auto& problem : query_template_problems(analysis.sample_query))
        problems.push_back(where + ".prometheus.sampleQuery: " + problem);
      if (analysis.minimum_sample > 0 && analysis.sample_query.empty())
        problems.push_back(where + ".minimumSample: needs prometheus.sampleQuery, the query counting the samples");
      if (analysis.minimum_sample == 0 && !analysis.sample_query.empty())
        problems.push_back(where + ".prometheus.sampleQuery: used only with a minimumSample above 0");
    }
    if (analysis.provider != AnalysisDefinition::Provider::kPrometheus && analysis.minimum_sample > 0)
      problems.push_back(where + ".minimumSample: only prometheus analyses count samples");
    if (analysis.provider == AnalysisDefinition::Provider::kHttp && analysis.url.empty())
      problems.push_back(where + ".http.url: an HTTP gate needs a URL");
    if (analysis.max && analysis.min && *analysis.min > *analysis.max)
      problems.push_back(where + ".successCondition: min is above max");
    if (analysis.count < 1) problems.push_back(where + ".count: must be at least 1");
    if (analysis.failure_limit < 0 || analysis.minimum_sample < 0 || analysis.inconclusive_limit < 0)
      problems.push_back(where + ": limits must not be negative");
    if (analysis.interval.count() <= 0) problems.push_back(where + ".interval: must be positive");
    if (analysis.timeout.count() <= 0) problems.push_back(where + ": timeout must be positive");
    if (analysis.retries < 0) problems.push_back(where + ".http.retries: must not be negative");
  }
  for (std::size_t i = 0; i < policy.tests.size(); ++i)
    if (policy.tests[i].timeout.count() <= 0)
      problems.push_back("tests[" + std::to_string(i) + "].timeout: must be positive");
  if (policy.pod_health.ready_deadline.count() <= 0) problems.emplace_back("podHealth.readyDeadline: must be positive");
  if (policy.pod_health.max_restarts < 0 || policy.pod_health.max_readiness_flaps < 0)
    problems.emplace_back("podHealth: limits must not be negative");
  return problems;
}

}  // namespace autocanary::policy

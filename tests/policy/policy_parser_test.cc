#include "policy/policy_parser.h"

#include <gtest/gtest.h>

#include "common/yaml_json.h"

namespace autocanary::policy {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

json yaml(const char* text) { return std::get<json>(common::yaml_to_json(text)); }

std::vector<std::string> problems(const char* text) {
  auto parsed = parse_policy(yaml(text));
  if (std::holds_alternative<CanaryPolicy>(parsed)) return {};
  return std::get<std::vector<std::string>>(parsed);
}

TEST(PolicyParserTest, ParsesEveryStepKindAndField) {
  auto parsed = parse_policy(yaml(R"yaml(
steps:
  - setWeight: 10
  - pause: {duration: 1m30s}
  - pause: {}
  - analysis: {names: [pod-health, error-rate]}
  - test: {name: smoke}
  - setWeight: 100
analyses:
  - name: error-rate
    provider: prometheus
    prometheus:
      address: "http://prometheus:9090"
      query: "sum(rate(errors[1m]))"
      sampleQuery: "sum(increase(requests[1m]))"
    successCondition: {max: 0.01}
    interval: 15s
    count: 4
    failureLimit: 1
    minimumSample: 100
    noData: fail
  - name: gate
    provider: http
    http: {url: "https://gate.example.com/check", timeout: 3s}
tests:
  - name: smoke
    jobTemplate: {spec: {template: {spec: {containers: [{name: t, image: curl}], restartPolicy: Never}}}}
    timeout: 2m
canaryReplicas: {mode: matchStable}
trafficBackend: podRatio
rolloutRestart: rollout
recreateDeployments: canary
abortScaleDownDelay: 5s
shimInjection: always
)yaml"));
  ASSERT_TRUE(std::holds_alternative<CanaryPolicy>(parsed)) << std::get<std::vector<std::string>>(parsed)[0];
  const auto& policy = std::get<CanaryPolicy>(parsed);
  ASSERT_EQ(policy.steps.size(), 6U);
  EXPECT_EQ(std::get<SetWeightStep>(policy.steps[0]).weight, 10);
  EXPECT_EQ(std::get<PauseStep>(policy.steps[1]).duration, 90s);
  EXPECT_FALSE(std::get<PauseStep>(policy.steps[2]).duration);
  EXPECT_EQ(std::get<AnalysisStep>(policy.steps[3]).analyses, (std::vector<std::string>{"pod-health", "error-rate"}));
  EXPECT_EQ(std::get<TestStep>(policy.steps[4]).name, "smoke");
  EXPECT_EQ(policy.traffic_backend, TrafficBackend::kPodRatio);
  EXPECT_EQ(policy.restart_handling, RestartHandling::kRollout);
  EXPECT_EQ(policy.recreate_handling, RecreateHandling::kCanary);
  EXPECT_EQ(policy.abort_scale_down_delay, 5s);
  EXPECT_EQ(policy.shim_injection, ShimInjection::kAlways);
  EXPECT_EQ(policy.canary_replicas, CanaryReplicas::kMatchStable);
  ASSERT_EQ(policy.analyses.size(), 2U);
  const AnalysisDefinition& errors = policy.analyses[0];
  EXPECT_EQ(errors.name, "error-rate");
  EXPECT_EQ(errors.query, "sum(rate(errors[1m]))");
  EXPECT_EQ(errors.address, "http://prometheus:9090");
  EXPECT_EQ(errors.max, 0.01);
  EXPECT_FALSE(errors.min);
  EXPECT_EQ(errors.interval, 15s);
  EXPECT_EQ(errors.count, 4);
  EXPECT_EQ(errors.failure_limit, 1);
  EXPECT_EQ(errors.minimum_sample, 100);
  EXPECT_EQ(errors.sample_query, "sum(increase(requests[1m]))");
  EXPECT_EQ(errors.no_data, AnalysisDefinition::NoData::kFail);
  EXPECT_EQ(policy.analyses[1].provider, AnalysisDefinition::Provider::kHttp);
  EXPECT_EQ(policy.analyses[1].timeout, 3s);
  ASSERT_EQ(policy.tests.size(), 1U);
  EXPECT_EQ(policy.tests[0].timeout, 2min);
  EXPECT_TRUE(policy.tests[0].job_template.contains("spec"));

  // The JSON form reads back as the same policy.
  auto again = parse_policy(policy_to_json(policy));
  ASSERT_TRUE(std::holds_alternative<CanaryPolicy>(again));
  EXPECT_EQ(policy_to_json(std::get<CanaryPolicy>(again)), policy_to_json(policy));
}

TEST(PolicyParserTest, AnalysisDefinitionsAreValidated) {
  const auto found = problems(R"(
steps: [{analysis: {names: [errors]}}, {test: {name: missing}}, {setWeight: 100}]
analyses:
  - name: errors
    provider: prometheus
    prometheus: {query: ""}
  - name: gate
    provider: http
    http: {}
    successCondition: {min: 5, max: 1}
)");
  for (const char* message : {"analyses[0].prometheus.query: an analysis needs a query",
                              "analyses[0].successCondition: needs max or min", "analyses[1].http.url: an HTTP gate needs a URL",
                              "analyses[1].successCondition: min is above max",
                              "steps[1].test: \"missing\" is not defined in tests"})
    EXPECT_NE(std::find(found.begin(), found.end(), message), found.end()) << message;
}

TEST(PolicyParserTest, ParsesAccessRetriesAndPodHealth) {
  auto parsed = parse_policy(yaml(R"yaml(
steps: [{analysis: {names: [pod-health, errors, gate]}}, {setWeight: 100}]
analyses:
  - name: errors
    prometheus:
      address: https://prometheus.monitoring:9090
      query: 'sum(rate(errors{namespace="{{namespace}}", pod=~"{{canary}}-.*"}[1m]))'
      timeout: 2s
      bearerTokenFile: /var/run/secrets/prometheus/token
      caFile: /etc/prometheus-ca/ca.crt
    successCondition: {max: 0.01}
  - name: gate
    provider: http
    http: {url: "https://gate.example.com/check", retries: 0, insecureSkipVerify: true}
podHealth: {readyDeadline: 90s, maxRestarts: 1, maxReadinessFlaps: 4}
)yaml"));
  ASSERT_TRUE(std::holds_alternative<CanaryPolicy>(parsed)) << std::get<std::vector<std::string>>(parsed)[0];
  const auto& policy = std::get<CanaryPolicy>(parsed);
  const AnalysisDefinition& errors = policy.analyses[0];
  EXPECT_EQ(errors.timeout, 2s);
  EXPECT_EQ(errors.bearer_token_file, "/var/run/secrets/prometheus/token");
  EXPECT_EQ(errors.ca_file, "/etc/prometheus-ca/ca.crt");
  EXPECT_FALSE(errors.insecure_skip_verify);
  EXPECT_EQ(policy.analyses[1].retries, 0);
  EXPECT_TRUE(policy.analyses[1].insecure_skip_verify);
  EXPECT_EQ(policy.pod_health, (PodHealthPolicy{90s, 1, 4}));
  auto again = parse_policy(policy_to_json(policy));
  ASSERT_TRUE(std::holds_alternative<CanaryPolicy>(again));
  EXPECT_EQ(std::get<CanaryPolicy>(again).analyses, policy.analyses);
  EXPECT_EQ(std::get<CanaryPolicy>(again).pod_health, policy.pod_health);
}

TEST(PolicyParserTest, QueryVariablesAndLimitsAreValidated) {
  const auto found = problems(R"(
steps: [{analysis: {names: [errors]}}, {setWeight: 100}]
analyses:
  - name: errors
    prometheus: {query: 'sum(rate(errors{ns="{{namespace}}", app="{{app}}"}[1m]))', timeout: 0s}
    successCondition: {max: 1}
podHealth: {readyDeadline: 0s, maxRestarts: -1}
)");
  for (const char* message :
       {"analyses[0].prometheus.query: unknown variable {{app}} (known: namespace, deployment, canary, revision, "
        "stableRevision, podTemplateHash, canaryService, stableService)",
        "analyses[0]: timeout must be positive", "podHealth.readyDeadline: must be positive",
        "podHealth: limits must not be negative"})
    EXPECT_NE(std::find(found.begin(), found.end(), message), found.end()) << message;
  EXPECT_EQ(problems("podHealth: {colour: red}"), std::vector<std::string>{"podHealth.colour: unknown field"});
}

TEST(PolicyParserTest, AMinimumSampleNeedsAQueryCountingThem) {
  const auto found = problems(R"(
steps: [{analysis: {names: [errors, gate]}}, {setWeight: 100}]
analyses:
  - name: errors
    prometheus: {query: 'sum(rate(errors[1m]))'}
    successCondition: {max: 1}
    minimumSample: 50
  - name: gate
    provider: http
    http: {url: "http://gate"}
    minimumSample: 5
  - name: latency
    prometheus: {query: 'max(latency)', sampleQuery: 'sum(requests{x="{{app}}"})'}
    successCondition: {max: 1}
)");
  EXPECT_EQ(found, (std::vector<std::string>{
                       "analyses[0].minimumSample: needs prometheus.sampleQuery, the query counting the samples",
                       "analyses[1].minimumSample: only prometheus analyses count samples",
                       "analyses[2].prometheus.sampleQuery: unknown variable {{app}} (known: namespace, deployment, "
                       "canary, revision, stableRevision, podTemplateHash, canaryService, stableService)",
                       "analyses[2].prometheus.sampleQuery: used only with a minimumSample above 0"}));
}

TEST(PolicyParserTest, OmittedFieldsKeepTheDefaults) {
  auto parsed = parse_policy(json::object());
  ASSERT_TRUE(std::holds_alternative<CanaryPolicy>(parsed));
  EXPECT_EQ(std::get<CanaryPolicy>(parsed).steps.size(), builtin_default_policy().steps.size());
}

TEST(PolicyParserTest, ReportsEveryProblemWithItsPath) {
  const auto found = problems(R"(
steps:
  - setWeight: ten
  - pause: {duration: soon}
  - jump: 3
  - {setWeight: 10, pause: {}}
trafficBackend: linkerd
colour: blue
)");
  const std::vector<std::string> expected = {
      "steps[0].setWeight: must be an integer percentage",
      "steps[1].pause.duration: must be a duration such as 30s or 5m",
      "steps[2]: unknown step jump (setWeight, pause, analysis, test)",
      "steps[3]: must have exactly one of setWeight, pause, analysis, test",
      "trafficBackend: must be one of auto, gatewayAPI, istio, podRatio, smi",
      "colour: unknown field"};
  for (const auto& message : expected)
    EXPECT_NE(std::find(found.begin(), found.end(), message), found.end()) << message;
}

TEST(PolicyParserTest, ValidationRulesApply) {
  EXPECT_EQ(problems("steps: [{setWeight: 150}, {setWeight: 100}]"),
            std::vector<std::string>{"steps[0].setWeight: must be between 0 and 100, got 150"});
  EXPECT_EQ(problems("steps: [{setWeight: 50}]"),
            std::vector<std::string>{"steps: the last setWeight must be 100 so the canary can be promoted"});
  EXPECT_EQ(problems("steps: [{pause: {duration: -5s}}, {setWeight: 100}]"),
            std::vector<std::string>{"steps[0].pause.duration: must not be negative"});
}

TEST(YamlJsonTest, ScalarsBecomeTypedJson) {
  EXPECT_EQ(yaml("{a: 1, b: 2.5, c: true, d: null, e: text, f: '7'}"),
            json::parse(R"({"a":1,"b":2.5,"c":true,"d":null,"e":"text","f":"7"})"));
  EXPECT_TRUE(std::holds_alternative<std::string>(common::yaml_to_json("a: [1, 2")));
}

}  // namespace
}  // namespace autocanary::policy

#include "webhook/policy/policy_parser.h"

#include <gtest/gtest.h>

#include "webhook/support/yaml_json.h"

namespace autocanary::policy {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

json yaml(const char* text) { return std::get<json>(support::yaml_to_json(text)); }

std::vector<std::string> problems(const char* text) {
  auto parsed = parse_policy(yaml(text));
  if (std::holds_alternative<CanaryPolicy>(parsed)) return {};
  return std::get<std::vector<std::string>>(parsed);
}

TEST(PolicyParserTest, ParsesEveryStepKindAndField) {
  auto parsed = parse_policy(yaml(R"(
steps:
  - setWeight: 10
  - pause: {duration: 1m30s}
  - pause: {}
  - analysis: {names: [pod-health, error-rate]}
  - test: {name: smoke}
  - setWeight: 100
trafficBackend: podRatio
rolloutRestart: rollout
abortScaleDownDelay: 5s
shimInjection: always
)"));
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
  EXPECT_EQ(policy.abort_scale_down_delay, 5s);
  EXPECT_EQ(policy.shim_injection, ShimInjection::kAlways);
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
  EXPECT_TRUE(std::holds_alternative<std::string>(support::yaml_to_json("a: [1, 2")));
}

}  // namespace
}  // namespace autocanary::policy

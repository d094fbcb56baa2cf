#include "policy/policy_resolution.h"

#include <gtest/gtest.h>

#include <map>

namespace autocanary::policy {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class PolicyResolutionTest : public ::testing::Test {
 protected:
  std::map<std::string, json> policies = {
      {"default", json::parse(R"({"steps":[{"setWeight":10},{"setWeight":100}],"abortScaleDownDelay":"1m"})")},
      {"careful", json::parse(R"({"steps":[{"setWeight":5},{"pause":{}},{"setWeight":100}],"trafficBackend":"istio"})")},
  };
  json deployment = {{"metadata", {{"name", "web"}, {"annotations", json::object()}}}};
  json ns = {{"metadata", {{"name", "shop"}, {"labels", json::object()}}}};

  ResolvedPolicy resolve() {
    return resolve_policy(deployment, ns, [this](const std::string& name) {
      const auto found = policies.find(name);
      return found == policies.end() ? json() : found->second;
    });
  }
  void annotate(const std::string& key, const std::string& value) { deployment["metadata"]["annotations"][key] = value; }
};

TEST_F(PolicyResolutionTest, BuiltInWhenNoPolicyExists) {
  policies.clear();
  const ResolvedPolicy resolved = resolve();
  EXPECT_EQ(resolved.policy_name, "");
  EXPECT_EQ(resolved.policy.steps.size(), builtin_default_policy().steps.size());
  EXPECT_EQ(resolved.sources.at("steps"), "built-in");
  EXPECT_TRUE(resolved.warnings.empty());
}

TEST_F(PolicyResolutionTest, TheDefaultPolicyApplies) {
  const ResolvedPolicy resolved = resolve();
  EXPECT_EQ(resolved.policy_name, "default");
  EXPECT_EQ(std::get<SetWeightStep>(resolved.policy.steps[0]).weight, 10);
  EXPECT_EQ(resolved.policy.abort_scale_down_delay, 1min);
  EXPECT_EQ(resolved.sources.at("steps"), "ClusterCanaryPolicy/default");
  EXPECT_EQ(resolved.sources.at("abortScaleDownDelay"), "ClusterCanaryPolicy/default");
  EXPECT_EQ(resolved.sources.at("trafficBackend"), "built-in");
}

TEST_F(PolicyResolutionTest, TheNamespaceChoosesAPolicyByLabelOrAnnotation) {
  ns["metadata"]["labels"]["autocanary.io/policy"] = "careful";
  EXPECT_EQ(resolve().policy_name, "careful");
  ns["metadata"]["labels"] = json::object();
  ns["metadata"]["annotations"]["autocanary.io/policy"] = "careful";
  const ResolvedPolicy resolved = resolve();
  EXPECT_EQ(resolved.policy_name, "careful");
  EXPECT_EQ(resolved.policy.traffic_backend, TrafficBackend::kIstio);
}

TEST_F(PolicyResolutionTest, TheDeploymentsChoiceBeatsTheNamespaces) {
  ns["metadata"]["labels"]["autocanary.io/policy"] = "default";
  annotate("autocanary.io/policy", "careful");
  EXPECT_EQ(resolve().policy_name, "careful");
}

TEST_F(PolicyResolutionTest, AMissingChosenPolicyFallsBackToTheDefaultWithAWarning) {
  annotate("autocanary.io/policy", "nonexistent");
  const ResolvedPolicy resolved = resolve();
  EXPECT_EQ(resolved.policy_name, "default");
  ASSERT_EQ(resolved.warnings.size(), 1U);
  EXPECT_EQ(resolved.warnings[0],
            "ClusterCanaryPolicy \"nonexistent\" chosen by annotation autocanary.io/policy does not exist; using "
            "the default");
}

TEST_F(PolicyResolutionTest, AnUnusablePolicyIsReportedAndSkipped) {
  policies["default"] = json::parse(R"({"steps":[{"setWeight":50}]})");
  const ResolvedPolicy resolved = resolve();
  EXPECT_EQ(resolved.policy_name, "");
  ASSERT_EQ(resolved.warnings.size(), 1U);
  EXPECT_NE(resolved.warnings[0].find("last setWeight must be 100"), std::string::npos);
}

TEST_F(PolicyResolutionTest, APolicyIsUsedOnlyByNamespacesItsSelectorMatches) {
  deployment["metadata"]["namespace"] = "shop";
  policies["careful"]["namespaceSelector"] = {{"matchLabels", {{"team", "payments"}}}};
  annotate("autocanary.io/policy", "careful");
  ResolvedPolicy resolved = resolve();
  EXPECT_EQ(resolved.policy_name, "default");  // never another team's gate
  ASSERT_EQ(resolved.warnings.size(), 1U);
  EXPECT_EQ(resolved.warnings[0],
            "ClusterCanaryPolicy \"careful\" is not open to namespace \"shop\" (the namespace's labels do not "
            "match its namespaceSelector); using the default");

  ns["metadata"]["labels"]["team"] = "payments";
  resolved = resolve();
  EXPECT_EQ(resolved.policy_name, "careful");
  EXPECT_TRUE(resolved.warnings.empty());
}

TEST_F(PolicyResolutionTest, AnUnknownNamespaceOpensNoSelector) {
  policies["careful"]["namespaceSelector"] = json::object();  // open to every namespace
  annotate("autocanary.io/policy", "careful");
  EXPECT_EQ(resolve().policy_name, "careful");
  ns = nullptr;
  const ResolvedPolicy resolved = resolve();
  EXPECT_EQ(resolved.policy_name, "default");
  ASSERT_EQ(resolved.warnings.size(), 1U);
  EXPECT_NE(resolved.warnings[0].find("the namespace is not known"), std::string::npos);
}

TEST_F(PolicyResolutionTest, ADefaultPolicyClosedToTheNamespaceLeavesTheBuiltInOne) {
  policies["default"]["namespaceSelector"] = {
      {"matchExpressions", json::array({{{"key", "tier"}, {"operator", "In"}, {"values", {"gold"}}}})}};
  const ResolvedPolicy resolved = resolve();
  EXPECT_EQ(resolved.policy_name, "");
  ASSERT_EQ(resolved.warnings.size(), 1U);
  EXPECT_NE(resolved.warnings[0].find("using the built-in policy"), std::string::npos);
}

TEST_F(PolicyResolutionTest, StepsAnnotationOverridesOnlyTheSteps) {
  ns["metadata"]["labels"]["autocanary.io/policy"] = "careful";
  annotate("autocanary.io/steps", "[{setWeight: 50}, {pause: {duration: 10s}}, {setWeight: 100}]");
  const ResolvedPolicy resolved = resolve();
  ASSERT_EQ(resolved.policy.steps.size(), 3U);
  EXPECT_EQ(std::get<SetWeightStep>(resolved.policy.steps[0]).weight, 50);
  EXPECT_EQ(std::get<PauseStep>(resolved.policy.steps[1]).duration, 10s);
  EXPECT_EQ(resolved.policy.traffic_backend, TrafficBackend::kIstio) << "the rest still comes from the policy";
  EXPECT_EQ(resolved.sources.at("steps"), "annotation autocanary.io/steps");
  EXPECT_EQ(resolved.sources.at("trafficBackend"), "ClusterCanaryPolicy/careful");
  EXPECT_TRUE(resolved.warnings.empty());
}

TEST_F(PolicyResolutionTest, TrafficBackendAnnotationOverridesOnlyTheBackend) {
  annotate("autocanary.io/traffic-backend", "podRatio");
  const ResolvedPolicy resolved = resolve();
  EXPECT_EQ(resolved.policy.traffic_backend, TrafficBackend::kPodRatio);
  EXPECT_EQ(resolved.sources.at("trafficBackend"), "annotation autocanary.io/traffic-backend");
  EXPECT_EQ(std::get<SetWeightStep>(resolved.policy.steps[0]).weight, 10);
}

TEST_F(PolicyResolutionTest, MalformedOverridesAreIgnoredWithAWarningThatSaysWhat) {
  const std::map<std::string, std::string> cases = {
      {"[{setWeight: 50", "annotation autocanary.io/steps ignored: invalid YAML"},
      {"[{setWeight: 150}, {setWeight: 100}]",
       "annotation autocanary.io/steps ignored: steps[0].setWeight: must be between 0 and 100, got 150"},
      {"[{setWeight: 50}]",
       "annotation autocanary.io/steps ignored: steps: the last setWeight must be 100 so the canary can be promoted"},
      {"[{analysis: {names: [latency]}}, {setWeight: 100}]",
       "annotation autocanary.io/steps ignored: steps[0].analysis: \"latency\" is not defined in analyses"},
      {"fast", "annotation autocanary.io/steps ignored: steps: must be a list"},
  };
  for (const auto& [value, warning] : cases) {
    SCOPED_TRACE(value);
    annotate("autocanary.io/steps", value);
    const ResolvedPolicy resolved = resolve();
    ASSERT_EQ(resolved.warnings.size(), 1U);
    EXPECT_EQ(resolved.warnings[0].substr(0, warning.size()), warning);
    EXPECT_EQ(resolved.sources.at("steps"), "ClusterCanaryPolicy/default") << "the policy's steps stay";
  }
  deployment["metadata"]["annotations"] = json::object();
  annotate("autocanary.io/traffic-backend", "linkerd");
  const ResolvedPolicy resolved = resolve();
  ASSERT_EQ(resolved.warnings.size(), 1U);
  EXPECT_EQ(resolved.warnings[0],
            "annotation autocanary.io/traffic-backend ignored: trafficBackend: must be one of auto, gatewayAPI, "
            "istio, podRatio, smi");
  EXPECT_EQ(resolved.policy.traffic_backend, TrafficBackend::kAuto);
}

}  // namespace
}  // namespace autocanary::policy

#include "webhook/server/policy_cache.h"

#include <gtest/gtest.h>

#include <map>

#include "policy/policy_parser.h"

namespace autocanary::server {
namespace {

using nlohmann::json;

class ParsedPolicyCacheTest : public ::testing::Test {
 protected:
  ParsedPolicyCache cache;
  std::map<std::string, json> objects;
  json deployment = {{"metadata", {{"name", "web"}, {"namespace", "shop"}, {"annotations", json::object()}}}};
  json ns = {{"metadata", {{"name", "shop"}, {"labels", json::object()}}}};

  void store(const std::string& name, const std::string& resource_version, const json& spec) {
    objects[name] = {{"apiVersion", "autocanary.io/v1alpha1"},
                     {"kind", "ClusterCanaryPolicy"},
                     {"metadata", {{"name", name}, {"resourceVersion", resource_version}}},
                     {"spec", spec}};
  }
  policy::ResolvedPolicy resolve() {
    return cache.resolve(deployment, ns, [this](const std::string& name) {
      const auto found = objects.find(name);
      return found == objects.end() ? json() : found->second;
    });
  }
  // What resolving without the cache gives.
  policy::ResolvedPolicy resolve_uncached() {
    return policy::resolve_policy(deployment, ns, [this](const std::string& name) {
      const auto found = objects.find(name);
      return found == objects.end() ? json() : found->second.value("spec", json::object());
    });
  }
  static int first_weight(const policy::ResolvedPolicy& resolved) {
    return std::get<policy::SetWeightStep>(resolved.policy.steps.at(0)).weight;
  }
};

const json kTenPercent = json::parse(R"({"steps":[{"setWeight":10},{"setWeight":100}]})");
const json kTwentyPercent = json::parse(R"({"steps":[{"setWeight":20},{"setWeight":100}]})");

TEST_F(ParsedPolicyCacheTest, AnUnchangedResourceVersionIsNotParsedAgain) {
  store("default", "100", kTenPercent);
  EXPECT_EQ(first_weight(resolve()), 10);
  EXPECT_EQ(first_weight(resolve()), 10);
  EXPECT_EQ(first_weight(resolve()), 10);
  EXPECT_EQ(cache.parse_count(), 1U);
}

TEST_F(ParsedPolicyCacheTest, AChangedResourceVersionIsParsedAgain) {
  store("default", "100", kTenPercent);
  EXPECT_EQ(first_weight(resolve()), 10);
  store("default", "101", kTwentyPercent);
  EXPECT_EQ(first_weight(resolve()), 20);
  EXPECT_EQ(cache.parse_count(), 2U);
  EXPECT_EQ(first_weight(resolve()), 20);
  EXPECT_EQ(cache.parse_count(), 2U);
}

TEST_F(ParsedPolicyCacheTest, TheKeyIsTheResourceVersionNotTheSpec) {
  // The apiserver gives every change a new resourceVersion; the same version
  // is the same object, so its spec is not read again.
  store("default", "100", kTenPercent);
  EXPECT_EQ(first_weight(resolve()), 10);
  store("default", "100", kTwentyPercent);
  EXPECT_EQ(first_weight(resolve()), 10);
  EXPECT_EQ(cache.parse_count(), 1U);
}

TEST_F(ParsedPolicyCacheTest, EachPolicyIsKeptOnItsOwn) {
  store("default", "100", kTenPercent);
  store("careful", "200", kTwentyPercent);
  EXPECT_EQ(first_weight(resolve()), 10);
  deployment["metadata"]["annotations"]["autocanary.io/policy"] = "careful";
  EXPECT_EQ(first_weight(resolve()), 20);
  deployment["metadata"]["annotations"].erase("autocanary.io/policy");
  EXPECT_EQ(first_weight(resolve()), 10);
  deployment["metadata"]["annotations"]["autocanary.io/policy"] = "careful";
  EXPECT_EQ(first_weight(resolve()), 20);
  EXPECT_EQ(cache.parse_count(), 2U);
}

TEST_F(ParsedPolicyCacheTest, AnUnusablePolicyIsKeptAsUnusableWithTheSameWarning) {
  store("default", "100", json::parse(R"({"steps":[{"setWeight":"lots"}]})"));
  const auto first = resolve();
  const auto again = resolve();
  EXPECT_EQ(cache.parse_count(), 1U);
  EXPECT_EQ(again.policy_name, "");
  ASSERT_EQ(again.warnings.size(), 1U);
  EXPECT_EQ(again.warnings, first.warnings);
  EXPECT_EQ(again.warnings, resolve_uncached().warnings);
}

TEST_F(ParsedPolicyCacheTest, AGonePolicyIsForgottenAndTheBuiltInApplies) {
  store("default", "100", kTenPercent);
  EXPECT_EQ(first_weight(resolve()), 10);
  objects.clear();
  const auto resolved = resolve();
  EXPECT_EQ(resolved.policy_name, "");
  EXPECT_EQ(resolved.sources.at("steps"), "built-in");
  // Created again (with a version the apiserver never reuses): parsed anew.
  store("default", "300", kTwentyPercent);
  EXPECT_EQ(first_weight(resolve()), 20);
  EXPECT_EQ(cache.parse_count(), 2U);
}

TEST_F(ParsedPolicyCacheTest, AnObjectWithoutAResourceVersionIsParsedEveryTime) {
  store("default", "", kTenPercent);
  (void)resolve();
  (void)resolve();
  EXPECT_EQ(cache.parse_count(), 2U);
}

TEST_F(ParsedPolicyCacheTest, ResolvesAsResolvingWithoutTheCacheDoes) {
  store("default", "100", kTenPercent);
  store("careful", "200", json::parse(R"({"steps":[{"setWeight":5},{"pause":{}},{"setWeight":100}],
                                          "trafficBackend":"istio","namespaceSelector":{"matchLabels":{"tier":"gold"}}})"));
  for (const char* chosen : {"", "careful", "missing"}) {
    SCOPED_TRACE(chosen);
    deployment["metadata"]["annotations"]["autocanary.io/policy"] = chosen;
    deployment["metadata"]["annotations"]["autocanary.io/steps"] = "[{setWeight: 50}, {setWeight: 100}]";
    for (int round = 0; round < 2; ++round) {
      const auto cached = resolve();
      const auto uncached = resolve_uncached();
      EXPECT_EQ(cached.policy_name, uncached.policy_name);
      EXPECT_EQ(cached.sources, uncached.sources);
      EXPECT_EQ(cached.warnings, uncached.warnings);
      EXPECT_EQ(policy::policy_to_json(cached.policy), policy::policy_to_json(uncached.policy));
    }
  }
}

}  // namespace
}  // namespace autocanary::server

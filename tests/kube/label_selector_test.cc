#include "kube/label_selector.h"

#include <gtest/gtest.h>

namespace autocanary::kube {
namespace {

using nlohmann::json;

bool matches(const json& selector, const json& labels) {
  auto result = label_selector_matches(selector, labels);
  EXPECT_TRUE(std::holds_alternative<bool>(result)) << std::get<std::string>(result);
  return std::holds_alternative<bool>(result) && std::get<bool>(result);
}

std::string problem(const json& selector) {
  auto result = label_selector_matches(selector, json::object());
  return std::holds_alternative<std::string>(result) ? std::get<std::string>(result) : "<valid>";
}

const json kTeamA = {{"team", "a"}, {"kubernetes.io/metadata.name", "shop"}};

TEST(LabelSelectorTest, EmptySelectorMatchesEverything) {
  EXPECT_TRUE(matches(json::object(), kTeamA));
  EXPECT_TRUE(matches(json::object(), nullptr));
}

TEST(LabelSelectorTest, MatchLabelsNeedsEveryLabel) {
  EXPECT_TRUE(matches({{"matchLabels", {{"team", "a"}}}}, kTeamA));
  EXPECT_FALSE(matches({{"matchLabels", {{"team", "b"}}}}, kTeamA));
  EXPECT_FALSE(matches({{"matchLabels", {{"team", "a"}, {"tier", "gold"}}}}, kTeamA));
  EXPECT_FALSE(matches({{"matchLabels", {{"team", "a"}}}}, nullptr));
}

TEST(LabelSelectorTest, EveryOperator) {
  const auto expression = [](const char* key, const char* op, json values) {
    return json{{"matchExpressions", json::array({{{"key", key}, {"operator", op}, {"values", std::move(values)}}})}};
  };
  EXPECT_TRUE(matches(expression("kubernetes.io/metadata.name", "In", {"shop", "cart"}), kTeamA));
  EXPECT_FALSE(matches(expression("kubernetes.io/metadata.name", "In", {"cart"}), kTeamA));
  EXPECT_TRUE(matches(expression("team", "NotIn", {"b"}), kTeamA));
  EXPECT_FALSE(matches(expression("team", "NotIn", {"a"}), kTeamA));
  EXPECT_TRUE(matches(expression("tier", "NotIn", {"gold"}), kTeamA));  // absent is not in
  EXPECT_TRUE(matches(expression("team", "Exists", json::array()), kTeamA));
  EXPECT_FALSE(matches(expression("tier", "Exists", json::array()), kTeamA));
  EXPECT_TRUE(matches(expression("tier", "DoesNotExist", json::array()), kTeamA));
}

TEST(LabelSelectorTest, MatchLabelsAndExpressionsMustAllHold) {
  json selector = {{"matchLabels", {{"team", "a"}}},
                   {"matchExpressions", json::array({{{"key", "tier"}, {"operator", "Exists"}}})}};
  EXPECT_FALSE(matches(selector, kTeamA));
}

TEST(LabelSelectorTest, MalformedSelectorsSayWhy) {
  EXPECT_NE(problem("team=a").find("must be an object"), std::string::npos);
  EXPECT_NE(problem({{"matchLabels", {{"team", 1}}}}).find("team must be a string"), std::string::npos);
  EXPECT_NE(problem({{"matchExpressions", json::array({{{"key", "a"}, {"operator", "Near"}}})}})
                .find("unknown operator Near"),
            std::string::npos);
  EXPECT_NE(problem({{"matchExpressions", json::array({{{"key", "a"}, {"operator", "In"}}})}}).find("needs values"),
            std::string::npos);
}

}  // namespace
}  // namespace autocanary::kube

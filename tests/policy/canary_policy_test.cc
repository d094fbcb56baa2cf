#include "policy/canary_policy.h"

#include <gtest/gtest.h>

namespace autocanary::policy {
namespace {

bool mentions(const std::vector<std::string>& problems, const std::string& text) {
  for (const auto& problem : problems)
    if (problem.find(text) != std::string::npos) return true;
  return false;
}

TEST(CanaryPolicyTest, BuiltinDefaultIsValidAndEndsAtFullWeight) {
  const CanaryPolicy policy = builtin_default_policy();
  EXPECT_TRUE(validate(policy).empty());
  ASSERT_EQ(policy.steps.size(), 3U);
  EXPECT_EQ(std::get<SetWeightStep>(policy.steps[0]).weight, 25);
  EXPECT_EQ(std::get<AnalysisStep>(policy.steps[1]).analyses, std::vector<std::string>{"pod-health"});
  EXPECT_EQ(std::get<SetWeightStep>(policy.steps[2]).weight, 100);
  EXPECT_EQ(policy.restart_handling, RestartHandling::kCanary);
}

TEST(CanaryPolicyTest, RejectsWeightsOutOfRange) {
  CanaryPolicy policy;
  policy.steps = {SetWeightStep{120}, SetWeightStep{100}};
  EXPECT_TRUE(mentions(validate(policy), "steps[0].setWeight: must be between 0 and 100, got 120"));
}

TEST(CanaryPolicyTest, RejectsStepsNotEndingAtFullWeight) {
  CanaryPolicy policy;
  policy.steps = {SetWeightStep{10}, PauseStep{std::chrono::seconds(30)}, SetWeightStep{50}};
  EXPECT_TRUE(mentions(validate(policy), "last setWeight must be 100"));
}

TEST(CanaryPolicyTest, RejectsNegativeDurationsAndEmptySteps) {
  CanaryPolicy policy;
  policy.steps = {PauseStep{std::chrono::milliseconds(-1)}, AnalysisStep{}, TestStep{}, SetWeightStep{100}};
  policy.abort_scale_down_delay = std::chrono::milliseconds(-5);
  const auto problems = validate(policy);
  EXPECT_TRUE(mentions(problems, "steps[0].pause.duration: must not be negative"));
  EXPECT_TRUE(mentions(problems, "steps[1].analysis: names no analysis"));
  EXPECT_TRUE(mentions(problems, "steps[2].test: needs a name"));
  EXPECT_TRUE(mentions(problems, "abortScaleDownDelay"));
  EXPECT_TRUE(mentions(validate(CanaryPolicy{}), "at least one step"));
}

}  // namespace
}  // namespace autocanary::policy

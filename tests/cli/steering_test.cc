#include "cli/steering.h"

#include <gtest/gtest.h>

#include "tests/cli/cli_fixtures.h"

namespace autocanary::cli {
namespace {

using nlohmann::json;

json in_phase(const char* phase) {
  json canary = testing::waiting_canary();
  canary["status"]["phase"] = phase;
  return canary;
}

TEST(Steering, VerbsByName) {
  EXPECT_EQ(verb_from_string("promote"), Verb::kPromote);
  EXPECT_EQ(verb_from_string("resume"), Verb::kResume);
  EXPECT_FALSE(verb_from_string("promot"));
  EXPECT_EQ(to_string(Verb::kAbort), "abort");
}

TEST(Steering, PromoteApprovesAWaitingPause) {
  const SteerPlan plan = plan_steer(Verb::kPromote, testing::waiting_canary(), "t1");
  EXPECT_FALSE(plan.refused);
  EXPECT_EQ(plan.patch, json::parse(R"({"spec": {"promote": "t1"}})"));
  EXPECT_EQ(plan.will, "approve step 2/3 (pause until approved) of revision aaaaaaaaaa; the canary goes on to step 3/3");
}

TEST(Steering, PromoteElsewhereSkipsTheRemainingSteps) {
  const SteerPlan plan = plan_steer(Verb::kPromote, in_phase("Progressing"), "t1");
  EXPECT_EQ(plan.will, "skip the remaining steps from step 2/3 (pause until approved) and promote revision aaaaaaaaaa");
}

TEST(Steering, NothingToPromoteOrAbortOnceEnded) {
  for (const char* phase : {"Succeeded", "Failed", "Cancelled"}) {
    EXPECT_TRUE(plan_steer(Verb::kPromote, in_phase(phase), "t").refused) << phase;
    EXPECT_TRUE(plan_steer(Verb::kAbort, in_phase(phase), "t").refused) << phase;
    EXPECT_TRUE(plan_steer(Verb::kPause, in_phase(phase), "t").refused) << phase;
  }
  EXPECT_EQ(plan_steer(Verb::kAbort, in_phase("Succeeded"), "t").will,
            "nothing to abort: the canary of revision aaaaaaaaaa has ended (Succeeded)");
}

TEST(Steering, AbortSaysWhatItDoes) {
  const SteerPlan plan = plan_steer(Verb::kAbort, testing::waiting_canary(), "t2");
  EXPECT_EQ(plan.patch, json::parse(R"({"spec": {"abort": "t2"}})"));
  EXPECT_EQ(plan.will,
            "abort revision aaaaaaaaaa at step 2/3 (pause until approved): all traffic back to the stable pods, the "
            "revision marked failed");
}

TEST(Steering, RetryTakesOnlyAFailedCanary) {
  EXPECT_TRUE(plan_steer(Verb::kRetry, testing::waiting_canary(), "t").refused);
  const SteerPlan plan = plan_steer(Verb::kRetry, in_phase("Failed"), "t3");
  EXPECT_FALSE(plan.refused);
  EXPECT_EQ(plan.patch, json::parse(R"({"spec": {"retry": "t3"}})"));
}

TEST(Steering, PauseAndResumeFlipTheSwitchOnlyWhenNeeded) {
  json canary = testing::waiting_canary();
  EXPECT_EQ(plan_steer(Verb::kPause, canary, "").patch, json::parse(R"({"spec": {"paused": true}})"));
  EXPECT_TRUE(plan_steer(Verb::kResume, canary, "").nothing_to_do);
  canary["spec"]["paused"] = true;
  EXPECT_TRUE(plan_steer(Verb::kPause, canary, "").nothing_to_do);
  EXPECT_EQ(plan_steer(Verb::kResume, canary, "").patch, json::parse(R"({"spec": {"paused": false}})"));
}

TEST(Steering, HandledWhenTheStatusRecordsTheToken) {
  json canary = testing::waiting_canary();
  EXPECT_FALSE(request_handled(Verb::kPromote, canary, "t1"));
  canary["status"]["handled"]["promote"] = "t1";
  EXPECT_TRUE(request_handled(Verb::kPromote, canary, "t1"));
  EXPECT_FALSE(request_handled(Verb::kAbort, canary, "t1"));
  EXPECT_FALSE(request_handled(Verb::kPause, canary, ""));
  canary["status"]["phase"] = "Paused";
  EXPECT_TRUE(request_handled(Verb::kPause, canary, ""));
  EXPECT_FALSE(request_handled(Verb::kResume, canary, ""));
}

TEST(Steering, DescribeState) {
  EXPECT_EQ(describe_state(testing::waiting_canary()),
            "WaitingForApproval at step 2/3 (pause until approved), asked weight 20%: waiting for approval");
}

TEST(Steering, ARefusedWriteNamesTheMissingPermissionAndTheRole) {
  const std::string text =
      forbidden_message("patch", "canaries.autocanary.io", "shop",
                        "canaries.autocanary.io \"web\" is forbidden: User \"viewer\" cannot patch resource");
  EXPECT_EQ(text.rfind("permission denied: you may not patch canaries.autocanary.io in namespace shop.\n", 0), 0u)
      << text;
  EXPECT_NE(text.find("edit (or admin) role"), std::string::npos);
  EXPECT_NE(text.find("The apiserver said: canaries.autocanary.io \"web\" is forbidden"), std::string::npos);
  const std::string read = forbidden_message("list", "pods", "shop", "no");
  EXPECT_NE(read.find("view, edit or admin role"), std::string::npos);
  EXPECT_NE(read.find("also reads Deployments, ReplicaSets and Pods"), std::string::npos);
}

}  // namespace
}  // namespace autocanary::cli

#include "cli/outcome.h"

#include <gtest/gtest.h>

namespace autocanary::cli {
namespace {

using nlohmann::json;

json canary(const char* phase, const char* message = "") {
  return {{"metadata", {{"name", "web"}}},
          {"status",
           {{"phase", phase}, {"revision", "aaaaaaaaaa"}, {"currentStep", 1}, {"stepDescription", "analysis error-rate"},
            {"message", message}}}};
}

json deployment(const char* pending = nullptr, const char* failed = nullptr) {
  json object = {{"metadata", {{"name", "web"}, {"annotations", json::object()}}}};
  if (pending != nullptr) object["metadata"]["annotations"]["autocanary.io/pending-revision"] = pending;
  if (failed != nullptr) object["metadata"]["annotations"]["autocanary.io/failed-revision"] = failed;
  return object;
}

TEST(Outcome, PromotedExitsZero) {
  const Outcome outcome = judge(canary("Succeeded", "promoted at step 3"), deployment());
  EXPECT_TRUE(outcome.finished);
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_EQ(outcome.verdict, "promoted");
  EXPECT_EQ(outcome.reason, "revision aaaaaaaaaa promoted: promoted at step 3");
}

TEST(Outcome, AMessageThatSaysTheSameIsNotRepeated) {
  const Outcome outcome = judge(canary("Succeeded", "revision aaaaaaaaaa promoted"), deployment());
  EXPECT_EQ(outcome.reason, "revision aaaaaaaaaa promoted");
}

TEST(Outcome, AbortedOrFailedExitsOneWithTheReason) {
  for (const char* phase : {"Failed", "Aborting"}) {
    const Outcome outcome = judge(canary(phase, "error-rate: 2 failed measurements"), deployment());
    EXPECT_TRUE(outcome.finished) << phase;
    EXPECT_EQ(outcome.exit_code, 1) << phase;
    EXPECT_EQ(outcome.verdict, "failed") << phase;
    EXPECT_EQ(outcome.reason, "revision aaaaaaaaaa aborted: error-rate: 2 failed measurements") << phase;
  }
}

TEST(Outcome, TheReasonIsTheFailedStepsMessage) {
  json failed = canary("Failed", "revision aaaaaaaaaa failed its canary and is held until retried");
  failed["status"]["steps"] = json::parse(R"j([{"index": 0, "result": "Succeeded", "message": "actual weight 20%"},
      {"index": 1, "result": "Failed", "message": "gate: 1 failed measurement (0 tolerated)"}])j");
  EXPECT_EQ(judge(failed, deployment()).reason, "revision aaaaaaaaaa aborted: gate: 1 failed measurement (0 tolerated)");
}

TEST(Outcome, ACancelledRevisionWasNotPromotedButDidNotFail) {
  const char* message = "revision aaaaaaaaaa cancelled: the live template (revision bbbbbbbbbb) was applied again";
  const Outcome outcome = judge(canary("Cancelled", message), deployment());
  EXPECT_TRUE(outcome.finished);
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_EQ(outcome.verdict, "cancelled");
  EXPECT_EQ(outcome.reason, message);
  EXPECT_EQ(judge(canary("Cancelled"), deployment()).reason, "revision aaaaaaaaaa not promoted");
}

TEST(Outcome, RunningPhasesAreNotFinished) {
  for (const char* phase : {"Progressing", "Paused", "WaitingForApproval", "Promoting"}) {
    const Outcome outcome = judge(canary(phase), deployment("aaaaaaaaaa"));
    EXPECT_FALSE(outcome.finished) << phase;
  }
  EXPECT_EQ(judge(canary("Progressing"), deployment()).reason, "Progressing at step 2 (analysis error-rate)");
}

TEST(Outcome, ARecordOfThePreviousRolloutIsNotTheAnswer) {
  // Just applied: the Deployment holds revision c…, the Canary still tells a….
  const Outcome outcome = judge(canary("Succeeded"), deployment("cccccccccc"));
  EXPECT_FALSE(outcome.finished);
  EXPECT_EQ(outcome.reason, "revision cccccccccc is pending; the canary has not started it yet");
}

TEST(Outcome, AHeldFailedRevisionFailsAtOnce) {
  const Outcome outcome = judge(canary("Succeeded"), deployment("cccccccccc", "cccccccccc"));
  EXPECT_TRUE(outcome.finished);
  EXPECT_EQ(outcome.exit_code, 1);
}

TEST(Outcome, TheHeldRevisionsOwnCanaryTellsWhy) {
  json failed = canary("Failed", "held");
  failed["status"]["steps"] = json::parse(R"j([{"index": 1, "result": "Failed", "message": "aborted on request"}])j");
  EXPECT_EQ(judge(failed, deployment("aaaaaaaaaa", "aaaaaaaaaa")).reason, "revision aaaaaaaaaa aborted: aborted on request");
}

TEST(Outcome, NoCanaryYetWaits) {
  EXPECT_FALSE(judge(json(), deployment()).finished);
}

TEST(Outcome, ATimeoutSaysWhereTheCanaryStood) {
  const Outcome outcome = timed_out(canary("WaitingForApproval"), "5s");
  EXPECT_EQ(outcome.exit_code, 2);
  EXPECT_EQ(outcome.verdict, "timeout");
  EXPECT_EQ(outcome.reason, "timed out after 5s; the canary is WaitingForApproval at step 2 (analysis error-rate)");
}

}  // namespace
}  // namespace autocanary::cli

#include "coordinator/canary_record.h"

#include <gtest/gtest.h>

namespace autocanary::coordinator {
namespace {

using nlohmann::json;

TEST(CanaryRecordTest, StatusRoundTripsThroughJson) {
  CanaryStatus status;
  status.revision = "bbbbbbbbbb";
  status.stable_revision = "aaaaaaaaaa";
  status.phase = Phase::kWaitingForApproval;
  status.current_step = 2;
  status.step_description = "pause until approved";
  status.canary_weight = 25;
  status.actual_weight = 20;
  status.steps = {{0, "setWeight 25", "2026-11-22T10:00:00Z", "2026-11-22T10:00:04Z", "Succeeded", "actual weight 20%"}};
  status.history = {{"cccccccccc", "Failed", "2026-11-21T10:00:00Z", "2026-11-21T10:05:00Z", "error-rate: 5%"}};
  status.handled = {"p1", "", "r1"};
  status.analysis_runs = {{"error-rate", 2, 3, 1, 0, "2026-11-22T10:00:05.250Z", "2026-11-22T10:01:05.250Z", 0.002,
                           "0.002 is at most 0.01", ""},
                          {"smoke", 2, 0, 0, 0, "2026-11-22T10:00:05Z", "2026-11-22T10:00:05Z", std::nullopt, "",
                           "web-smoke-bbbbbbbbbb-2"}};
  status.measurements = {{"error-rate", "bbbbbbbbbb", 2, analysis::Outcome::kPassed, 0.002, false,
                          "2026-11-22T10:01:05.250Z", "0.002 is at most 0.01", ""},
                         {"error-rate", "bbbbbbbbbb", 2, analysis::Outcome::kInconclusive, std::nullopt, true,
                          "2026-11-22T10:01:35.250Z", "cannot reach Prometheus", ""}};
  EXPECT_EQ(status_from_json(to_json(status)), status);
  EXPECT_EQ(to_json(status)["measurements"][0]["value"], 0.002);
  EXPECT_EQ(to_json(status)["measurements"][1]["outcome"], "Inconclusive");
  EXPECT_EQ(to_json(status)["analysisRuns"][1]["resource"], "web-smoke-bbbbbbbbbb-2");
  EXPECT_EQ(to_json(status)["phase"], "WaitingForApproval");
}

TEST(CanaryRecordTest, HandEditedStatusIsReadLeniently) {
  const CanaryStatus status = status_from_json(json::parse(
      R"({"phase":"Nonsense","currentStep":"three","steps":[42,{"index":1}],"history":"gone","handled":[]})"));
  EXPECT_EQ(status.phase, Phase::kProgressing);
  EXPECT_EQ(status.current_step, 0);
  ASSERT_EQ(status.steps.size(), 1U);
  EXPECT_EQ(status.steps[0].index, 1);
  EXPECT_TRUE(status.history.empty());
  EXPECT_EQ(status_from_json(nullptr), CanaryStatus{});
}

TEST(CanaryRecordTest, RequestsFromSpec) {
  const CanaryRequests requests =
      requests_from_json(json::parse(R"({"paused":true,"promote":"p","abort":"a","retry":7})"));
  EXPECT_TRUE(requests.paused);
  EXPECT_EQ(requests.promote, "p");
  EXPECT_EQ(requests.abort, "a");
  EXPECT_EQ(requests.retry, "");
}

json condition_of(const json& conditions, const char* type) {
  for (const auto& condition : conditions)
    if (condition["type"] == type) return condition;
  return nullptr;
}

CanaryStatus status_in(Phase phase, std::string message = "") {
  CanaryStatus status;
  status.phase = phase;
  status.current_step = 1;
  status.step_description = "pause until approved";
  status.message = std::move(message);
  return status;
}

TEST(CanaryConditionsTest, ARunningRolloutIsReconcilingAndNotReady) {
  for (const Phase phase : {Phase::kProgressing, Phase::kPaused, Phase::kWaitingForApproval, Phase::kPromoting}) {
    const json conditions = canary_conditions(status_in(phase), json(), "2026-11-22T10:00:00Z");
    EXPECT_EQ(condition_of(conditions, "Ready")["status"], "False") << to_string(phase);
    EXPECT_EQ(condition_of(conditions, "Reconciling")["status"], "True") << to_string(phase);
    EXPECT_EQ(condition_of(conditions, "Stalled")["status"], "False") << to_string(phase);
    EXPECT_EQ(condition_of(conditions, "Reconciling")["reason"], std::string(to_string(phase)));
  }
  const json waiting = canary_conditions(status_in(Phase::kWaitingForApproval), json(), "2026-11-22T10:00:00Z");
  EXPECT_EQ(condition_of(waiting, "Reconciling")["message"], "WaitingForApproval at step 2 (pause until approved)");
}

TEST(CanaryConditionsTest, APromotedOrCancelledRolloutIsReady) {
  for (const Phase phase : {Phase::kSucceeded, Phase::kCancelled}) {
    const json conditions = canary_conditions(status_in(phase, "promoted"), json(), "2026-11-22T10:00:00Z");
    EXPECT_EQ(condition_of(conditions, "Ready")["status"], "True");
    EXPECT_EQ(condition_of(conditions, "Ready")["message"], "promoted");
    EXPECT_EQ(condition_of(conditions, "Reconciling")["status"], "False");
    EXPECT_EQ(condition_of(conditions, "Stalled")["status"], "False");
  }
}

TEST(CanaryConditionsTest, AnAbortedRolloutIsStalledWithTheReason) {
  for (const Phase phase : {Phase::kAborting, Phase::kFailed}) {
    const json conditions =
        canary_conditions(status_in(phase, "error-rate: 2 failed measurements"), json(), "2026-11-22T10:00:00Z");
    EXPECT_EQ(condition_of(conditions, "Stalled")["status"], "True");
    EXPECT_EQ(condition_of(conditions, "Stalled")["message"], "error-rate: 2 failed measurements");
    EXPECT_EQ(condition_of(conditions, "Ready")["status"], "False");
    EXPECT_EQ(condition_of(conditions, "Reconciling")["status"], "False");
  }
}

TEST(CanaryConditionsTest, TransitionTimesChangeOnlyWithTheStatus) {
  const json first = canary_conditions(status_in(Phase::kProgressing), json(), "2026-11-22T10:00:00Z");
  const json again = canary_conditions(status_in(Phase::kWaitingForApproval), first, "2026-11-22T10:01:00Z");
  EXPECT_EQ(condition_of(again, "Reconciling")["lastTransitionTime"], "2026-11-22T10:00:00Z");
  const json done = canary_conditions(status_in(Phase::kSucceeded), again, "2026-11-22T10:02:00Z");
  EXPECT_EQ(condition_of(done, "Ready")["lastTransitionTime"], "2026-11-22T10:02:00Z");
  EXPECT_EQ(condition_of(done, "Reconciling")["lastTransitionTime"], "2026-11-22T10:02:00Z");
  EXPECT_EQ(condition_of(done, "Stalled")["lastTransitionTime"], "2026-11-22T10:00:00Z");
  // The same status written again is the same conditions: no needless write.
  EXPECT_EQ(canary_conditions(status_in(Phase::kSucceeded), done, "2026-11-22T10:09:00Z"), done);
}

}  // namespace
}  // namespace autocanary::coordinator

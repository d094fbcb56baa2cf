#include "coordinator/rollout_planner.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "coordinator/traffic/pod_ratio.h"

namespace autocanary::coordinator {
namespace {

using namespace std::chrono_literals;
using policy::AnalysisStep;
using policy::PauseStep;
using policy::SetWeightStep;
using policy::TestStep;

// A tiny cluster that carries out plans the way the reconciler and the pod-ratio
// router would, so whole rollouts can be walked (and crashed) without I/O.
class World {
 public:
  World() {
    o.deployment = "web";
    o.stable_replicas = 4;
    o.live_revision = "aaaaaaaaaa";
    o.stable_rolled_out = true;
    policy.steps = {SetWeightStep{25}, PauseStep{30s}, SetWeightStep{50}, AnalysisStep{{"pod-health"}},
                    SetWeightStep{100}};
    policy.abort_scale_down_delay = 60s;
    policy::AnalysisDefinition errors;
    errors.name = "error-rate";
    errors.query = "sum(rate(errors[1m]))";
    errors.max = 0.01;
    errors.interval = 30s;
    policy.analyses = {errors};
  }

  // The reconciler took a measurement of `name` for the current step.
  void measured(const std::string& name, analysis::Measurement measurement) {
    const auto criteria = criteria_of(policy, {name, false});
    ASSERT_TRUE(criteria) << name;
    analysis::MeasurementRecord record = analysis::judge(*criteria, measurement);
    record.analysis = name;
    record.revision = o.status.revision;
    record.step = o.status.current_step;
    record.measured_at = common::format_rfc3339_millis(now);
    o.measurements.push_back(record);
  }

  void apply_new_revision(const std::string& revision) { o.pending_revision = revision; }

  // A one-step rollout of `revision` up to its promotion, the Deployment's own
  // rollout of it not yet observed (settling is the test's from then on).
  void promote_to(const std::string& revision) {
    policy.steps = {SetWeightStep{100}};
    apply_new_revision(revision);
    settle_automatically = false;
    for (int i = 0; i < 10 && promotions == 0; ++i) {
      pass();
      settle();
    }
  }

  // One reconcile pass. `crash_after` executes only that many actions.
  Plan pass(std::size_t crash_after = SIZE_MAX) {
    Plan plan = plan_rollout(o, policy, now);
    for (std::size_t i = 0; i < plan.actions.size() && i < crash_after; ++i) execute(plan.actions[i]);
    o.measurements.clear();  // taken for this pass only
    if (settle_automatically) settle();
    return plan;
  }

  // Passes until nothing is left to do right now.
  void run_until_quiet() {
    for (int i = 0; i < 100; ++i) {
      if (pass().actions.empty()) return;
    }
    FAIL() << "the planner never settled";
  }

  void settle() {
    o.canary.ready_replicas = o.canary.replicas;
    o.canary.available_replicas = o.canary.replicas;
    o.traffic.settled = true;
    o.traffic.actual_weight = traffic::actual_weight(o.canary.exists ? o.canary.replicas : 0, o.stable_replicas);
    o.stable_rolled_out = true;
  }

  std::vector<std::string> step_results() const {
    std::vector<std::string> results;
    for (const auto& step : o.status.steps)
      results.push_back(std::to_string(step.index) + ":" + step.description + ":" + step.result);
    return results;
  }

  bool saw_event(const std::string& reason) const {
    return std::find(events.begin(), events.end(), reason) != events.end();
  }

  Observed o;
  policy::CanaryPolicy policy;
  common::SystemTime now = *common::parse_rfc3339("2026-11-22T10:00:00Z");
  bool settle_automatically = true;
  std::vector<int> weights;
  std::vector<std::string> events;
  int promotions = 0;
  int canary_deletions = 0;
  int routing_removals = 0;
  bool deletes_in_foreground = false;  // the canary stays `deleting` until pods_gone()
  void pods_gone() { o.canary = CanaryWorkload{}; }

 private:
  void execute(const Action& action) {
    if (const auto* set = std::get_if<SetWeight>(&action)) {
      weights.push_back(set->weight);
      o.traffic.applied_weight = set->weight;
      o.traffic.settled = false;
      if (o.canary.exists) o.canary.replicas = traffic::split_for_weight(set->weight, o.stable_replicas).canary_replicas;
    } else if (const auto* ensure = std::get_if<EnsureCanaryWorkload>(&action)) {
      o.canary.exists = true;
      o.canary.revision = ensure->revision;
      o.canary.replicas = traffic::split_for_weight(ensure->weight, o.stable_replicas).canary_replicas;
      o.canary.ready_replicas = 0;
      o.canary.available_replicas = 0;
    } else if (std::holds_alternative<DeleteCanaryWorkload>(action)) {
      if (deletes_in_foreground) {
        o.canary.deleting = true;  // its pods are still going
      } else {
        o.canary = CanaryWorkload{};
      }
      ++canary_deletions;
    } else if (std::holds_alternative<RemoveRouting>(action)) {
      o.traffic.routing_objects = false;
      ++routing_removals;
    } else if (const auto* promote = std::get_if<PromoteDeployment>(&action)) {
      ++promotions;
      o.live_revision = promote->revision;
      o.pending_revision.reset();
      o.stable_rolled_out = false;
    } else if (const auto* mark = std::get_if<MarkFailed>(&action)) {
      o.failed_revision = mark->revision;
    } else if (std::holds_alternative<ClearFailedMark>(action)) {
      o.failed_revision.reset();
    } else if (std::holds_alternative<AcknowledgeRetry>(action)) {
      o.retry_annotation = false;
    } else if (const auto* write = std::get_if<WriteStatus>(&action)) {
      o.record_exists = true;
      o.status = write->status;
    } else if (const auto* event = std::get_if<RecordEvent>(&action)) {
      events.push_back(event->reason);
    }
  }
};

const std::vector<std::string> kDefaultWalk = {
    "0:setWeight 25:Succeeded", "1:pause 30s:Succeeded", "2:setWeight 50:Succeeded",
    "3:analysis pod-health:Succeeded", "4:setWeight 100:Succeeded"};

TEST(RolloutPlannerTest, NothingPendingNeedsNoRecord) {
  World world;
  const Plan plan = world.pass();
  EXPECT_TRUE(plan.actions.empty());
  EXPECT_FALSE(plan.requeue_after);
}

TEST(RolloutPlannerTest, WalksEveryStepThenPromotes) {
  World world;
  world.apply_new_revision("bbbbbbbbbb");
  world.run_until_quiet();
  EXPECT_EQ(world.o.status.phase, Phase::kProgressing);
  EXPECT_EQ(world.o.status.step_description, "pause 30s");
  EXPECT_EQ(world.o.status.actual_weight, 20);  // 1 canary pod beside 4 stable ones

  world.now += 30s;
  world.run_until_quiet();
  EXPECT_EQ(world.o.status.phase, Phase::kSucceeded);
  EXPECT_EQ(world.step_results(), kDefaultWalk);
  EXPECT_EQ(world.o.status.steps[4].message, "actual weight 50% (the stable pods serve until the promotion)")
      << "4 canary pods beside 4 stable ones: pod ratio reaches 100% only by promoting";
  EXPECT_EQ(world.weights, (std::vector<int>{25, 50, 100, 0}));
  EXPECT_EQ(world.o.live_revision, "bbbbbbbbbb");
  EXPECT_FALSE(world.o.canary.exists);
  EXPECT_EQ(world.promotions, 1);
  ASSERT_EQ(world.o.status.history.size(), 1U);
  EXPECT_EQ(world.o.status.history[0].outcome, "Succeeded");
  EXPECT_TRUE(world.saw_event("CanaryStarted"));
  EXPECT_TRUE(world.saw_event("Promoted"));
}

TEST(RolloutPlannerTest, TimedPauseAsksToBeWokenWhenItEnds) {
  World world;
  world.apply_new_revision("bbbbbbbbbb");
  world.run_until_quiet();
  world.now += 10s;
  const Plan plan = world.pass();
  EXPECT_TRUE(plan.actions.empty());
  ASSERT_TRUE(plan.requeue_after);
  EXPECT_EQ(*plan.requeue_after, 20s);
}

TEST(RolloutPlannerTest, PromotionWaitsForTheStableRolloutBeforeRemovingTheCanary) {
  World world;
  world.policy.steps = {SetWeightStep{50}, SetWeightStep{100}};
  world.apply_new_revision("bbbbbbbbbb");
  world.settle_automatically = false;
  for (int i = 0; i < 20 && world.promotions == 0; ++i) {
    world.pass();
    world.o.canary.ready_replicas = world.o.canary.replicas;
    world.o.traffic.settled = true;
  }
  ASSERT_EQ(world.promotions, 1);
  const Plan waiting = world.pass();
  EXPECT_EQ(world.o.status.phase, Phase::kPromoting);
  EXPECT_TRUE(world.o.canary.exists) << "the canary keeps serving during the rollout";
  EXPECT_TRUE(waiting.requeue_after);
  world.o.stable_rolled_out = true;
  world.pass();
  EXPECT_EQ(world.o.status.phase, Phase::kSucceeded);
  EXPECT_FALSE(world.o.canary.exists);
}

TEST(RolloutPlannerTest, PauseUntilApprovedWaitsForAPromoteRequest) {
  World world;
  world.policy.steps = {SetWeightStep{20}, PauseStep{}, SetWeightStep{60}, PauseStep{}, SetWeightStep{100}};
  world.apply_new_revision("bbbbbbbbbb");
  world.run_until_quiet();
  EXPECT_EQ(world.o.status.phase, Phase::kWaitingForApproval);
  world.now += 24h;
  EXPECT_TRUE(world.pass().actions.empty()) << "time alone approves nothing";

  world.o.requests.promote = "approve-1";
  world.pass();
  EXPECT_EQ(world.o.status.phase, Phase::kProgressing);
  EXPECT_EQ(world.o.status.current_step, 2);
  EXPECT_EQ(world.o.status.message, "") << "the approval it waited for is given: its message went with its step";
  world.run_until_quiet();
  EXPECT_EQ(world.o.status.phase, Phase::kWaitingForApproval);
  EXPECT_EQ(world.o.status.current_step, 3) << "the second pause needs its own approval";
  EXPECT_EQ(world.o.status.handled.promote, "approve-1");

  world.o.requests.promote = "approve-2";
  world.run_until_quiet();
  EXPECT_EQ(world.o.status.phase, Phase::kSucceeded);
}

TEST(RolloutPlannerTest, PromoteRequestSkipsTheRemainingSteps) {
  World world;
  world.policy.steps = {SetWeightStep{10}, AnalysisStep{{"error-rate"}}, SetWeightStep{50}, SetWeightStep{100}};
  world.apply_new_revision("bbbbbbbbbb");
  world.run_until_quiet();
  EXPECT_EQ(world.o.status.step_description, "analysis error-rate");
  world.o.requests.promote = "now";
  world.run_until_quiet();
  EXPECT_EQ(world.o.status.phase, Phase::kSucceeded);
  EXPECT_EQ(world.weights, (std::vector<int>{10, 0}));
}

TEST(RolloutPlannerTest, FailingAnalysisRoutesZeroFirstThenMarksTheRevisionFailed) {
  World world;
  world.policy.steps = {SetWeightStep{25}, AnalysisStep{{"error-rate"}}, SetWeightStep{100}};
  world.apply_new_revision("bbbbbbbbbb");
  world.run_until_quiet();
  world.measured("error-rate", {analysis::Measurement::Kind::kValue, 0.05, "", ""});
  const Plan plan = world.pass();

  ASSERT_GE(plan.actions.size(), 2U);
  EXPECT_EQ(std::get<SetWeight>(plan.actions[0]).weight, 0) << "traffic goes to 0 before anything else";
  EXPECT_EQ(std::get<MarkFailed>(plan.actions[1]).revision, "bbbbbbbbbb");
  EXPECT_EQ(world.o.status.phase, Phase::kAborting);
  EXPECT_EQ(world.o.status.steps.back().result, "Failed");
  EXPECT_EQ(world.o.status.steps.back().message,
            "error-rate: 1 failed measurement (0 tolerated); last: 0.05 is not at most 0.01");
  EXPECT_EQ(world.o.live_revision, "aaaaaaaaaa") << "the stable workload is untouched";
  EXPECT_EQ(world.promotions, 0);
  EXPECT_TRUE(world.saw_event("CanaryAborted"));
  ASSERT_TRUE(plan.requeue_after);
  EXPECT_EQ(*plan.requeue_after, 60s);

  // The canary stays (at weight 0) for the abort delay, then goes.
  EXPECT_TRUE(world.pass().requeue_after);
  EXPECT_TRUE(world.o.canary.exists);
  world.now += 60s;
  world.run_until_quiet();
  EXPECT_FALSE(world.o.canary.exists);
  EXPECT_EQ(world.o.status.phase, Phase::kFailed);
  // The held canary's message keeps why it was aborted.
  EXPECT_EQ(world.o.status.message,
            "revision bbbbbbbbbb failed its canary and is held until retried: " + world.o.status.history.back().message);
  EXPECT_FALSE(world.o.status.history.back().message.empty());
}

TEST(RolloutPlannerTest, CrashLoopingCanaryAbortsAtAnyStep) {
  World world;
  world.apply_new_revision("bbbbbbbbbb");
  world.run_until_quiet();  // in the 30 s pause, no analysis running
  world.o.canary.crash_looping = true;
  const Plan plan = world.pass();
  EXPECT_EQ(std::get<SetWeight>(plan.actions[0]).weight, 0);
  EXPECT_EQ(world.o.failed_revision, "bbbbbbbbbb");
  EXPECT_NE(world.o.status.message.find("crash-looping"), std::string::npos);
}

TEST(RolloutPlannerTest, PodHealthFailsOnRestarts) {
  World world;
  world.policy.steps = {SetWeightStep{25}, AnalysisStep{{"pod-health"}}, SetWeightStep{100}};
  world.apply_new_revision("bbbbbbbbbb");
  world.settle_automatically = false;
  world.pass();
  world.settle();
  world.o.canary.restarts = 2;
  world.pass();
  world.pass();
  EXPECT_EQ(world.o.status.phase, Phase::kAborting);
  EXPECT_EQ(world.o.status.steps.back().message, "pod-health: canary containers restarted 2 times (0 tolerated)");
}

TEST(RolloutPlannerTest, AnAnalysisStepTalliesMeasurementsAndWakesWhenTheNextIsDue) {
  World world;
  world.policy.steps = {SetWeightStep{25}, AnalysisStep{{"error-rate"}}, SetWeightStep{100}};
  world.policy.analyses[0].count = 3;
  world.apply_new_revision("bbbbbbbbbb");
  world.run_until_quiet();
  ASSERT_EQ(world.o.status.step_description, "analysis error-rate");
  for (int i = 0; i < 2; ++i) {
    world.measured("error-rate", {analysis::Measurement::Kind::kValue, 0.002, "", ""});
    const Plan plan = world.pass();
    ASSERT_TRUE(plan.requeue_after);
    EXPECT_EQ(*plan.requeue_after, 30s) << "the next measurement is due one interval later";
    world.now += 30s;
  }
  EXPECT_EQ(world.o.status.analysis_runs[0].passed, 2);
  EXPECT_EQ(world.o.status.message, "error-rate: 2 of 3 passed; last: 0.002 is at most 0.01");
  world.measured("error-rate", {analysis::Measurement::Kind::kNoData, 0, "the query returned no series", ""});
  world.pass();
  EXPECT_EQ(world.o.status.phase, Phase::kProgressing) << "no data is not a pass";
  world.measured("error-rate", {analysis::Measurement::Kind::kValue, 0.001, "", ""});
  world.run_until_quiet();
  EXPECT_EQ(world.o.status.phase, Phase::kSucceeded);
  ASSERT_EQ(world.o.status.measurements.size(), 4U);
  EXPECT_EQ(world.o.status.measurements[2].outcome, analysis::Outcome::kInconclusive);
  EXPECT_TRUE(world.o.status.analysis_runs.empty()) << "tallies end with their step";
}

TEST(RolloutPlannerTest, MeasurementsOfAnotherStepOrRevisionAreIgnored) {
  World world;
  world.policy.steps = {SetWeightStep{25}, AnalysisStep{{"error-rate"}}, SetWeightStep{100}};
  world.apply_new_revision("bbbbbbbbbb");
  world.run_until_quiet();
  world.measured("error-rate", {analysis::Measurement::Kind::kValue, 0.05, "", ""});
  world.o.measurements.back().revision = "cccccccccc";
  world.measured("error-rate", {analysis::Measurement::Kind::kValue, 0.05, "", ""});
  world.o.measurements.back().step = 0;
  world.pass();
  EXPECT_EQ(world.o.status.phase, Phase::kProgressing);
  EXPECT_TRUE(world.o.status.measurements.empty());
}

TEST(RolloutPlannerTest, TheMeasurementHistoryIsBounded) {
  World world;
  world.policy.steps = {SetWeightStep{25}, AnalysisStep{{"error-rate"}}, SetWeightStep{100}};
  world.policy.analyses[0].inconclusive_limit = 100;
  world.apply_new_revision("bbbbbbbbbb");
  world.run_until_quiet();
  for (int i = 0; i < 25; ++i) {
    world.measured("error-rate", {analysis::Measurement::Kind::kNoData, 0, "no series " + std::to_string(i), ""});
    world.pass();
  }
  ASSERT_EQ(world.o.status.measurements.size(), kMeasurementLimit);
  EXPECT_EQ(world.o.status.measurements.back().message, "no series 24");
  EXPECT_EQ(world.o.status.analysis_runs[0].inconclusive, 25);
}

TEST(RolloutPlannerTest, PodHealthFailsFastAtAnyStepOnceAStepNamesIt) {
  World world;  // pod-health is step 3; the canary is still in the 30 s pause of step 1
  world.apply_new_revision("bbbbbbbbbb");
  world.run_until_quiet();
  ASSERT_EQ(world.o.status.step_description, "pause 30s");
  world.o.canary.restarts = 1;
  const Plan plan = world.pass();
  EXPECT_EQ(std::get<SetWeight>(plan.actions[0]).weight, 0) << "in the pass that saw it, weight 0 first";
  EXPECT_EQ(world.o.status.phase, Phase::kAborting);
  EXPECT_EQ(world.o.status.message,
            "revision bbbbbbbbbb aborted: pod-health: canary containers restarted 1 times (0 tolerated)");
}

TEST(RolloutPlannerTest, RestartsDoNotFailAPolicyWithoutPodHealthButACrashLoopDoes) {
  World world;
  world.policy.steps = {SetWeightStep{25}, PauseStep{30s}, SetWeightStep{100}};
  world.apply_new_revision("bbbbbbbbbb");
  world.run_until_quiet();
  world.o.canary.restarts = 1;
  world.pass();
  EXPECT_EQ(world.o.status.phase, Phase::kProgressing);
  world.o.canary.crash_looping = true;  // a crash loop aborts under any policy
  world.o.canary.crash_loop = "pod web-canary-abc container app: CrashLoopBackOff, 4 restarts";
  world.pass();
  EXPECT_EQ(world.o.status.message, "revision bbbbbbbbbb aborted: canary pods are crash-looping: pod web-canary-abc "
                                    "container app: CrashLoopBackOff, 4 restarts");
}

TEST(RolloutPlannerTest, ACanaryPodNotReadyPastItsDeadlineFails) {
  World world;
  world.policy.pod_health.ready_deadline = 5min;
  world.apply_new_revision("bbbbbbbbbb");
  world.run_until_quiet();
  world.o.canary.not_ready_pod = "web-canary-abc";
  world.o.canary.not_ready_since = common::format_rfc3339(world.now - 1min);
  const Plan waiting = world.pass();
  EXPECT_EQ(world.o.status.phase, Phase::kProgressing);
  ASSERT_TRUE(waiting.requeue_after);
  EXPECT_LE(*waiting.requeue_after, 4min + 1ms) << "woken when the deadline passes";
  world.now += 4min + 1s;
  world.pass();
  EXPECT_EQ(world.o.status.phase, Phase::kAborting);
  EXPECT_EQ(world.o.status.message,
            "revision bbbbbbbbbb aborted: pod-health: canary pod web-canary-abc not Ready for 5m1s (deadline 5m)");
}

TEST(RolloutPlannerTest, ATestStepWaitsForItsJobUntilTheTimeout) {
  World world;
  world.policy.steps = {SetWeightStep{25}, TestStep{"smoke"}, SetWeightStep{100}};
  policy::TestDefinition smoke;
  smoke.name = "smoke";
  smoke.timeout = 2min;
  world.policy.tests = {smoke};
  world.apply_new_revision("bbbbbbbbbb");
  world.run_until_quiet();
  ASSERT_EQ(world.o.status.step_description, "test smoke");
  const auto running = [&] {
    analysis::MeasurementRecord record = analysis::judge(
        analysis::criteria_for(smoke), {analysis::Measurement::Kind::kRunning, 0, "Job running", "web-smoke-job"});
    record.analysis = "smoke";
    record.revision = "bbbbbbbbbb";
    record.step = 1;
    record.measured_at = common::format_rfc3339(world.now);
    world.o.measurements.push_back(record);
  };
  running();
  world.pass();
  EXPECT_EQ(world.o.status.analysis_runs[0].resource, "web-smoke-job");
  EXPECT_TRUE(world.o.status.measurements.empty()) << "progress is not a measurement";
  world.now += 2min + 1s;
  running();
  world.pass();
  EXPECT_EQ(world.o.status.phase, Phase::kAborting);
  EXPECT_EQ(world.o.status.message, "revision bbbbbbbbbb aborted: smoke: not finished within 2m; last: Job running");
}

class FailedRevisionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    world.apply_new_revision("bbbbbbbbbb");
    world.run_until_quiet();
    world.o.requests.abort = "stop";
    world.pass();
    world.now += 60s;
    world.run_until_quiet();
    ASSERT_EQ(world.o.status.phase, Phase::kFailed);
  }
  World world;
};

TEST_F(FailedRevisionTest, FailedRevisionIsHeld) {
  EXPECT_EQ(world.o.failed_revision, "bbbbbbbbbb");
  EXPECT_EQ(world.o.status.handled.abort, "stop");
  world.now += 1h;
  EXPECT_TRUE(world.pass().actions.empty());
  EXPECT_FALSE(world.o.canary.exists);
}

TEST_F(FailedRevisionTest, RetryRequestRestartsFromTheFirstStep) {
  world.o.requests.retry = "again";
  world.pass();
  EXPECT_FALSE(world.o.failed_revision);
  world.run_until_quiet();
  EXPECT_EQ(world.o.status.phase, Phase::kProgressing);
  EXPECT_EQ(world.o.status.current_step, 1);
  EXPECT_EQ(world.o.status.steps.front().index, 0);
  EXPECT_EQ(world.o.status.handled.retry, "again");
  world.now += 30s;
  world.run_until_quiet();
  EXPECT_EQ(world.o.status.phase, Phase::kSucceeded);
  ASSERT_EQ(world.o.status.history.size(), 2U);
  EXPECT_EQ(world.o.status.history[0].outcome, "Failed");
  EXPECT_EQ(world.o.status.history[1].outcome, "Succeeded");
}

TEST_F(FailedRevisionTest, RetryThroughTheDeploymentAnnotationIsAcknowledged) {
  // The webhook removed the failed mark and left the request for us.
  world.o.failed_revision.reset();
  world.o.retry_annotation = true;
  const Plan plan = world.pass();
  EXPECT_TRUE(std::any_of(plan.actions.begin(), plan.actions.end(),
                          [](const Action& a) { return std::holds_alternative<AcknowledgeRetry>(a); }));
  EXPECT_FALSE(world.o.retry_annotation);
  EXPECT_EQ(world.o.status.phase, Phase::kProgressing);
  EXPECT_EQ(world.o.status.revision, "bbbbbbbbbb");
}

TEST(RolloutPlannerTest, NewRevisionSupersedesTheRunningCanary) {
  World world;
  world.apply_new_revision("bbbbbbbbbb");
  world.run_until_quiet();
  world.now += 30s;
  world.pass();  // past the pause, at 50%
  world.apply_new_revision("cccccccccc");
  const Plan plan = world.pass();
  EXPECT_EQ(std::get<SetWeight>(plan.actions[0]).weight, 0);
  EXPECT_EQ(world.o.status.revision, "cccccccccc");
  EXPECT_EQ(world.o.canary.revision, "cccccccccc");
  ASSERT_FALSE(world.o.status.history.empty());
  EXPECT_EQ(world.o.status.history.back().revision, "bbbbbbbbbb");
  EXPECT_EQ(world.o.status.history.back().outcome, "Superseded");
  world.run_until_quiet();
  world.now += 30s;
  world.run_until_quiet();
  EXPECT_EQ(world.o.live_revision, "cccccccccc");
  EXPECT_EQ(world.step_results(), kDefaultWalk);
}

TEST(RolloutPlannerTest, PausedCanaryHoldsItsStep) {
  World world;
  world.apply_new_revision("bbbbbbbbbb");
  world.run_until_quiet();
  world.o.requests.paused = true;
  world.pass();
  EXPECT_EQ(world.o.status.phase, Phase::kPaused);
  world.now += 1h;
  world.run_until_quiet();
  EXPECT_EQ(world.o.status.current_step, 1);
  world.o.requests.paused = false;
  world.run_until_quiet();
  EXPECT_EQ(world.o.status.phase, Phase::kSucceeded);
  EXPECT_TRUE(world.saw_event("Paused"));
  EXPECT_TRUE(world.saw_event("Resumed"));
}

TEST(RolloutPlannerTest, ACanaryThatNeverGetsReadyEndsAtTheProgressDeadline) {
  World world;
  world.settle_automatically = false;
  world.o.progress_deadline = 120s;
  world.apply_new_revision("bbbbbbbbbb");
  world.run_until_quiet();
  EXPECT_EQ(world.o.status.phase, Phase::kProgressing);
  world.now += 119s;
  const Plan waiting = world.pass();
  EXPECT_EQ(world.o.status.phase, Phase::kProgressing) << "inside the deadline it waits";
  ASSERT_TRUE(waiting.requeue_after);
  EXPECT_LE(*waiting.requeue_after, 1s) << "woken when the deadline passes";
  world.now += 2s;
  world.run_until_quiet();
  EXPECT_EQ(world.o.status.phase, Phase::kAborting);
  EXPECT_EQ(world.o.failed_revision, "bbbbbbbbbb");
  EXPECT_NE(world.o.status.message.find("no progress within the progress deadline (120s)"), std::string::npos)
      << world.o.status.message;
  EXPECT_NE(world.o.status.message.find("0 of 1 pods Ready"), std::string::npos) << world.o.status.message;
  EXPECT_EQ(world.o.traffic.applied_weight, 0);
}

TEST(RolloutPlannerTest, TheCanaryFollowsTheStablesReplicaCount) {
  World world;
  world.apply_new_revision("bbbbbbbbbb");
  world.run_until_quiet();
  ASSERT_EQ(world.o.status.step_description, "pause 30s");
  ASSERT_EQ(world.o.canary.replicas, 1);  // 25% beside 4 stable pods
  world.weights.clear();
  world.o.stable_replicas = 12;  // an HPA scaled the Deployment
  world.o.canary_replicas_wanted = 4;
  world.pass();
  EXPECT_EQ(world.weights, std::vector<int>{25}) << "the same weight again: the router resizes the canary";
  EXPECT_EQ(world.o.canary.replicas, traffic::split_for_weight(25, 12).canary_replicas);
  world.o.canary_replicas_wanted = world.o.canary.replicas;
  world.weights.clear();
  world.pass();
  EXPECT_TRUE(world.weights.empty()) << "sized: nothing more to do";
}

TEST(RolloutPlannerTest, APausedDeploymentStartsNoCanaryUntilResumed) {
  World world;
  world.o.deployment_paused = true;
  world.apply_new_revision("bbbbbbbbbb");
  world.run_until_quiet();
  EXPECT_EQ(world.o.status.phase, Phase::kPaused);
  EXPECT_FALSE(world.o.canary.exists);
  EXPECT_NE(world.o.status.message.find("kubectl rollout resume deployment/web"), std::string::npos);
  world.o.deployment_paused = false;
  world.run_until_quiet();
  EXPECT_TRUE(world.o.canary.exists);
  EXPECT_EQ(world.o.status.phase, Phase::kProgressing);
  EXPECT_TRUE(world.saw_event("Resumed"));
}

TEST(RolloutPlannerTest, PodHealthWaitsForAvailablePodsSoACrashAfterReadyIsSeen) {
  World world;
  world.policy.steps = {SetWeightStep{50}, AnalysisStep{{"pod-health"}}, SetWeightStep{100}};
  world.settle_automatically = false;
  world.apply_new_revision("bbbbbbbbbb");
  for (int i = 0; i < 10; ++i) {
    world.pass();
    world.o.canary.ready_replicas = world.o.canary.replicas;  // Ready, not yet available
    world.o.traffic.settled = true;
  }
  EXPECT_EQ(world.o.status.step_description, "analysis pod-health") << "Ready is not enough";
  EXPECT_EQ(world.promotions, 0);
  world.o.canary.restarts = 1;  // the app crashed a few seconds after it started
  world.pass();
  EXPECT_EQ(world.o.status.phase, Phase::kAborting);
  EXPECT_EQ(world.promotions, 0);
}

TEST(RolloutPlannerTest, APromotionAnotherWebhookMutatedIsStillAPromotion) {
  World world;
  world.promote_to("bbbbbbbbbb");
  ASSERT_EQ(world.promotions, 1);
  world.o.live_revision = "b0b0b0b0b0";  // an injector added a sidecar to the promoted template
  world.settle();
  world.run_until_quiet();
  EXPECT_EQ(world.o.status.phase, Phase::kSucceeded);
  EXPECT_TRUE(world.saw_event("Promoted"));
  EXPECT_FALSE(world.saw_event("CanaryCancelled"));
}

TEST(RolloutPlannerTest, APromotionWhoseRolloutStallsEndsWithTheControllersReason) {
  World world;
  world.promote_to("bbbbbbbbbb");
  ASSERT_EQ(world.promotions, 1);
  world.o.stable_rolled_out = false;  // the new pods never become available
  world.pass();
  EXPECT_EQ(world.o.status.phase, Phase::kPromoting) << "still within the controller's deadline";
  world.o.stable_stalled = "ReplicaSet \"web-5d8f\" has timed out progressing.";
  world.pass();
  world.pass();  // a second pass changes nothing more
  EXPECT_EQ(world.o.status.phase, Phase::kFailed);
  EXPECT_NE(world.o.status.message.find("has timed out progressing"), std::string::npos) << world.o.status.message;
  EXPECT_NE(world.o.status.message.find("kubectl rollout undo"), std::string::npos) << world.o.status.message;
  EXPECT_FALSE(world.o.canary.exists) << "the canary is removed";
  EXPECT_EQ(world.weights.back(), 0);
  EXPECT_FALSE(world.o.failed_revision.has_value()) << "the live revision is not held";
  EXPECT_EQ(std::count(world.events.begin(), world.events.end(), "PromotionStalled"), 1);
}

TEST(RolloutPlannerTest, APromotionOfAPausedDeploymentWaitsForTheResume) {
  World world;
  world.promote_to("bbbbbbbbbb");
  ASSERT_EQ(world.promotions, 1);
  world.o.stable_rolled_out = false;
  world.o.deployment_paused = true;
  world.pass();
  EXPECT_EQ(world.o.status.phase, Phase::kPromoting);
  EXPECT_NE(world.o.status.message.find("kubectl rollout resume deployment/web"), std::string::npos)
      << world.o.status.message;
  EXPECT_TRUE(world.o.canary.exists) << "the canary serves until the rollout completes";
}

// A proxy in front (a Gateway, a mesh) follows each change a moment late: the
// canary's pods go a drain after the weight went to 0, the user's routing comes
// back only once they are gone.
TEST(RolloutPlannerTest, WithAProxyInFrontTheCanaryDrainsBeforeItGoesAndTheRoutingAfter) {
  World world;
  world.policy.steps = {SetWeightStep{100}};
  world.o.traffic.routing_objects = true;
  world.deletes_in_foreground = true;
  world.apply_new_revision("bbbbbbbbbb");
  for (int i = 0; i < 10 && world.o.status.phase != Phase::kSucceeded; ++i) world.pass();
  ASSERT_EQ(world.o.status.phase, Phase::kSucceeded);
  EXPECT_EQ(world.weights.back(), 0);
  EXPECT_EQ(world.canary_deletions, 0) << "not in the pass that set the weight to 0";
  Plan waiting = world.pass();
  EXPECT_EQ(world.canary_deletions, 0);
  ASSERT_TRUE(waiting.requeue_after.has_value());
  EXPECT_LE(*waiting.requeue_after, 3s);
  world.now += 3s;
  world.pass();
  EXPECT_EQ(world.canary_deletions, 1) << "drained: the canary goes";
  EXPECT_EQ(world.routing_removals, 0);
  world.pass();
  EXPECT_EQ(world.canary_deletions, 1) << "deleted once, while its pods go";
  EXPECT_EQ(world.routing_removals, 0) << "the routing stays while the canary's pods do";
  world.pods_gone();
  world.pass();
  EXPECT_EQ(world.routing_removals, 1);
  EXPECT_TRUE(world.pass().actions.empty()) << "nothing left to do";
}

TEST(RolloutPlannerTest, WithoutAProxyInFrontTheCanaryGoesWithThePromotion) {
  World world;
  world.policy.steps = {SetWeightStep{100}};
  world.apply_new_revision("bbbbbbbbbb");
  for (int i = 0; i < 10 && world.o.status.phase != Phase::kSucceeded; ++i) world.pass();
  ASSERT_EQ(world.o.status.phase, Phase::kSucceeded);
  EXPECT_EQ(world.canary_deletions, 1) << "pod ratio: the weight is the pods, nothing to drain";
}

TEST(RolloutPlannerTest, ANewRevisionWaitsForThePreviousCanaryToGo) {
  World world;
  world.apply_new_revision("bbbbbbbbbb");
  world.pass();
  ASSERT_TRUE(world.o.canary.exists);
  world.o.canary.deleting = true;  // a cleanup under way
  world.apply_new_revision("cccccccccc");
  const Plan plan = world.pass();
  for (const auto& action : plan.actions) EXPECT_FALSE(std::holds_alternative<EnsureCanaryWorkload>(action));
  EXPECT_TRUE(plan.requeue_after.has_value());
  world.pods_gone();
  world.pass();
  EXPECT_EQ(world.o.canary.revision, "cccccccccc");
}

TEST(RolloutPlannerTest, AUsersDeploymentOfTheCanarysNameIsNeverTouched) {
  World world;
  world.apply_new_revision("bbbbbbbbbb");
  world.o.canary.name_taken = true;
  const Plan plan = plan_rollout(world.o, world.policy, world.now);
  ASSERT_EQ(plan.actions.size(), 1U) << "one Warning event, nothing else";
  const auto* event = std::get_if<RecordEvent>(&plan.actions[0]);
  ASSERT_NE(event, nullptr);
  EXPECT_EQ(event->reason, "CanaryNameTaken");
  EXPECT_TRUE(plan.requeue_after.has_value());
}

TEST(RolloutPlannerTest, ARevertCancelsTheCanaryWithoutFailingIt) {
  World world;
  world.apply_new_revision("bbbbbbbbbb");
  world.run_until_quiet();
  ASSERT_TRUE(world.o.canary.exists);
  world.o.pending_revision.reset();  // the webhook's answer to the live template applied again
  world.run_until_quiet();
  EXPECT_FALSE(world.o.canary.exists);
  EXPECT_EQ(world.o.traffic.applied_weight, 0);
  EXPECT_EQ(world.o.status.phase, Phase::kCancelled);
  EXPECT_EQ(world.o.status.history.back().outcome, "Cancelled");
  EXPECT_FALSE(world.o.failed_revision) << "a revert is not a failure: nothing is held";
  EXPECT_TRUE(world.saw_event("CanaryCancelled"));
}

// The coordinator may die between any two actions of any pass: planning again
// from what the cluster holds must finish the rollout with every step recorded
// once, in order, and exactly one promotion.
TEST(RolloutPlannerTest, CrashBetweenAnyTwoActionsSkipsAndRepeatsNoStep) {
  for (std::size_t crash_pass = 0; crash_pass < 12; ++crash_pass) {
    for (std::size_t crash_after = 0; crash_after < 6; ++crash_after) {
      SCOPED_TRACE("crash in pass " + std::to_string(crash_pass) + " after " + std::to_string(crash_after) +
                   " actions");
      World world;
      world.apply_new_revision("bbbbbbbbbb");
      for (std::size_t pass = 0; pass < 40; ++pass) {
        const Plan plan = world.pass(pass == crash_pass ? crash_after : SIZE_MAX);
        if (plan.actions.empty()) world.now += 30s;
        if (world.o.status.phase == Phase::kSucceeded) break;
      }
      EXPECT_EQ(world.o.status.phase, Phase::kSucceeded);
      EXPECT_EQ(world.step_results(), kDefaultWalk);
      EXPECT_EQ(world.o.live_revision, "bbbbbbbbbb");
      EXPECT_FALSE(world.o.canary.exists);
    }
  }
}

// The same sweep for the paths that end a canary early: an abort (a crash
// loop), a superseding revision and a revert. Whatever pass dies after
// whatever action, planning again ends where an uninterrupted run does.
TEST(RolloutPlannerTest, CrashBetweenAnyTwoActionsOfAnAbortASupersedeOrARevert) {
  enum class Ending { kAbort, kSupersede, kRevert };
  for (const Ending ending : {Ending::kAbort, Ending::kSupersede, Ending::kRevert}) {
    for (std::size_t crash_pass = 0; crash_pass < 8; ++crash_pass) {
      for (std::size_t crash_after = 0; crash_after < 6; ++crash_after) {
        SCOPED_TRACE("ending " + std::to_string(static_cast<int>(ending)) + ", crash in pass " +
                     std::to_string(crash_pass) + " after " + std::to_string(crash_after) + " actions");
        World world;
        world.apply_new_revision("bbbbbbbbbb");
        world.run_until_quiet();  // at the 30 s pause of step 1
        if (ending == Ending::kAbort) world.o.canary.crash_looping = true;
        if (ending == Ending::kSupersede) world.apply_new_revision("cccccccccc");
        if (ending == Ending::kRevert) world.o.pending_revision.reset();
        for (std::size_t pass = 0; pass < 40; ++pass) {
          if (ending == Ending::kAbort && !world.o.canary.exists) world.o.canary.crash_looping = false;
          const Plan plan = world.pass(pass == crash_pass ? crash_after : SIZE_MAX);
          if (plan.actions.empty()) world.now += 30s;
        }
        switch (ending) {
          case Ending::kAbort:
            EXPECT_EQ(world.o.status.phase, Phase::kFailed);
            EXPECT_EQ(world.o.failed_revision, "bbbbbbbbbb");
            EXPECT_FALSE(world.o.canary.exists);
            break;
          case Ending::kSupersede:
            EXPECT_EQ(world.o.status.phase, Phase::kSucceeded);
            EXPECT_EQ(world.o.live_revision, "cccccccccc");
            EXPECT_EQ(world.promotions, 1) << "only the superseding revision is promoted";
            break;
          case Ending::kRevert:
            EXPECT_EQ(world.o.status.phase, Phase::kCancelled);
            EXPECT_EQ(world.o.live_revision, "aaaaaaaaaa");
            EXPECT_FALSE(world.o.failed_revision);
            EXPECT_FALSE(world.o.canary.exists);
            EXPECT_EQ(world.promotions, 0);
            break;
        }
        EXPECT_EQ(world.o.traffic.applied_weight, 0);
      }
    }
  }
}

TEST(RolloutPlannerTest, DescribesSteps) {
  EXPECT_EQ(describe(SetWeightStep{25}), "setWeight 25");
  EXPECT_EQ(describe(PauseStep{90s}), "pause 1m30s");
  EXPECT_EQ(describe(PauseStep{}), "pause until approved");
  EXPECT_EQ(describe(AnalysisStep{{"pod-health", "error-rate"}}), "analysis pod-health, error-rate");
  EXPECT_EQ(describe(TestStep{"smoke"}), "test smoke");
}

}  // namespace
}  // namespace autocanary::coordinator

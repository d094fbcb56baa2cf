#include "coordinator/analysis/measurement_executor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stop_token>

namespace autocanary::analysis {
namespace {

using Kind = Measurement::Kind;

const common::SystemTime kNow = *common::parse_rfc3339("2026-11-22T10:00:00Z");

// Answers `answer` once released; counts how often it was asked.
struct Gate {
  std::mutex mutex;
  std::condition_variable changed;
  bool released = false;
  int asked = 0;

  void release() {
    const std::lock_guard lock(mutex);
    released = true;
    changed.notify_all();
  }
  void wait_until_asked(int times) {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return asked >= times; });
  }
};

class GatedProvider final : public AnalysisProvider {
 public:
  GatedProvider(Gate* gate, Measurement answer) : gate_(gate), answer_(std::move(answer)) {}
  Measurement measure(const AnalysisContext&, std::stop_token) override {
    if (gate_ != nullptr) {
      std::unique_lock lock(gate_->mutex);
      ++gate_->asked;
      gate_->changed.notify_all();
      gate_->changed.wait(lock, [&] { return gate_->released; });
    }
    return answer_;
  }

 private:
  Gate* gate_;
  Measurement answer_;
};

// Measures until it is stopped, like a query to a Prometheus that never answers.
class StalledProvider final : public AnalysisProvider {
 public:
  explicit StalledProvider(Gate* asked) : asked_(asked) {}
  Measurement measure(const AnalysisContext&, std::stop_token stop) override {
    std::mutex mutex;
    std::condition_variable_any stopped;
    {
      const std::lock_guard lock(asked_->mutex);
      ++asked_->asked;
      asked_->changed.notify_all();
    }
    std::unique_lock lock(mutex);
    stopped.wait(lock, stop, [] { return false; });
    return {Kind::kError, 0, "cancelled", {}};
  }

 private:
  Gate* asked_;
};

MeasurementRequest request(MeasurementKey key, Measurement answer, Gate* gate = nullptr) {
  Criteria criteria;
  criteria.max = 0.01;
  return {std::move(key), criteria, AnalysisContext{}, std::make_unique<GatedProvider>(gate, std::move(answer))};
}

const MeasurementKey kErrors{"shop/web", "error-rate", "abc", 1};

TEST(MeasurementExecutorTest, WithoutThreadsAMeasurementIsTakenInsideStartAndJudged) {
  MeasurementExecutor executor(0, [] { return kNow; }, nullptr);
  EXPECT_TRUE(executor.start(request(kErrors, {Kind::kValue, 0.05, "", ""})));
  const auto taken = executor.take("shop/web");
  ASSERT_EQ(taken.size(), 1U);
  EXPECT_EQ(taken[0].analysis, "error-rate");
  EXPECT_EQ(taken[0].revision, "abc");
  EXPECT_EQ(taken[0].step, 1);
  EXPECT_EQ(taken[0].outcome, Outcome::kFailed);
  EXPECT_EQ(taken[0].value, 0.05);
  EXPECT_EQ(taken[0].measured_at, "2026-11-22T10:00:00.000Z");
  EXPECT_TRUE(executor.take("shop/web").empty()) << "taken once";
}

TEST(MeasurementExecutorTest, ACheckWhoseResultWaitsIsNotMeasuredAgain) {
  MeasurementExecutor executor(0, [] { return kNow; }, nullptr);
  ASSERT_TRUE(executor.start(request(kErrors, {Kind::kValue, 0.002, "", ""})));
  EXPECT_FALSE(executor.start(request(kErrors, {Kind::kValue, 0.002, "", ""})));
  MeasurementKey next_step = kErrors;
  next_step.step = 2;
  EXPECT_TRUE(executor.start(request(next_step, {Kind::kValue, 0.002, "", ""}))) << "another step is another check";
  MeasurementKey other_rollout = kErrors;
  other_rollout.rollout = "shop/api";
  EXPECT_TRUE(executor.start(request(other_rollout, {Kind::kValue, 0.002, "", ""})));
  EXPECT_EQ(executor.take("shop/web").size(), 2U);
  EXPECT_TRUE(executor.start(request(kErrors, {Kind::kValue, 0.002, "", ""}))) << "once taken, due again";
}

TEST(MeasurementExecutorTest, WhatIsGivenBackComesBeforeWhatFinishedSince) {
  MeasurementExecutor executor(0, [] { return kNow; }, nullptr);
  ASSERT_TRUE(executor.start(request(kErrors, {Kind::kValue, 0.002, "", ""})));
  auto first = executor.take("shop/web");
  MeasurementKey gate = kErrors;
  gate.analysis = "approval";
  ASSERT_TRUE(executor.start(request(gate, {Kind::kPassed, 0, "200", ""})));
  executor.give_back("shop/web", std::move(first));
  const auto taken = executor.take("shop/web");
  ASSERT_EQ(taken.size(), 2U);
  EXPECT_EQ(taken[0].analysis, "error-rate");
  EXPECT_EQ(taken[1].analysis, "approval");
}

TEST(MeasurementExecutorTest, AStalledMeasurementIsUnderWayElsewhereUntilItAnswers) {
  Gate gate;
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<MeasurementRecord> finished;
  MeasurementExecutor executor(2, [] { return kNow; },
                               [&](const MeasurementKey& key, const MeasurementRecord& record,
                                   std::chrono::duration<double>) {
                                 if (key != kErrors) return;
                                 const std::lock_guard lock(mutex);
                                 finished.push_back(record);
                                 changed.notify_all();
                               });
  ASSERT_TRUE(executor.start(request(kErrors, {Kind::kValue, 0.002, "", ""}, &gate)));
  gate.wait_until_asked(1);
  EXPECT_EQ(executor.under_way("shop/web"), std::vector<MeasurementKey>{kErrors});
  EXPECT_TRUE(executor.under_way("shop/api").empty());
  EXPECT_FALSE(executor.start(request(kErrors, {Kind::kValue, 0.002, "", ""}))) << "already under way";
  EXPECT_TRUE(executor.take("shop/web").empty());

  // Another rollout's measurement is not queued behind the stalled one.
  MeasurementKey api = kErrors;
  api.rollout = "shop/api";
  Gate open;
  open.release();
  ASSERT_TRUE(executor.start(request(api, {Kind::kValue, 0.002, "", ""}, &open)));
  open.wait_until_asked(1);

  gate.release();
  {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return !finished.empty(); });
  }
  EXPECT_TRUE(executor.under_way("shop/web").empty());
  const auto taken = executor.take("shop/web");
  ASSERT_EQ(taken.size(), 1U) << "kept before it was announced";
  EXPECT_EQ(taken[0].outcome, Outcome::kPassed);
}

TEST(MeasurementExecutorTest, StoppingCutsOffTheMeasurementsUnderWayAndDropsThem) {
  Gate asked;
  std::atomic<int> announced{0};
  MeasurementExecutor executor(2, [] { return kNow; },
                               [&](const MeasurementKey&, const MeasurementRecord&, std::chrono::duration<double>) {
                                 ++announced;
                               });
  Criteria criteria;
  criteria.max = 0.01;
  ASSERT_TRUE(executor.start({kErrors, criteria, AnalysisContext{}, std::make_unique<StalledProvider>(&asked)}));
  asked.wait_until_asked(1);
  MeasurementKey api = kErrors;
  api.rollout = "shop/api";
  ASSERT_TRUE(executor.start({api, criteria, AnalysisContext{}, std::make_unique<StalledProvider>(&asked)}));
  asked.wait_until_asked(2);

  const auto started = std::chrono::steady_clock::now();
  executor.stop();  // would never return if it waited for them
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
  EXPECT_EQ(announced, 0) << "a measurement cut off says nothing about the canary";
  EXPECT_TRUE(executor.take("shop/web").empty());
  EXPECT_TRUE(executor.under_way("shop/web").empty());
}

}  // namespace
}  // namespace autocanary::analysis

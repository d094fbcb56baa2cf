#include "coordinator/analysis/measurement.h"

#include <gtest/gtest.h>

namespace autocanary::analysis {
namespace {

using namespace std::chrono_literals;
using Kind = Measurement::Kind;
using State = RunVerdict::State;

const common::SystemTime kNow = *common::parse_rfc3339("2026-11-22T10:00:00Z");

Criteria error_ratio() {
  Criteria criteria;
  criteria.max = 0.01;
  criteria.interval = 30s;
  criteria.count = 3;
  criteria.failure_limit = 1;
  criteria.inconclusive_limit = 2;
  return criteria;
}

MeasurementRecord at(MeasurementRecord record, const char* time) {
  record.measured_at = time;
  return record;
}

TEST(MeasurementTest, AValueIsJudgedByTheCondition) {
  const Criteria criteria = error_ratio();
  const MeasurementRecord low = judge(criteria, {Kind::kValue, 0.002, "", ""});
  EXPECT_EQ(low.outcome, Outcome::kPassed);
  EXPECT_EQ(low.value, 0.002);
  EXPECT_EQ(low.message, "0.002 is at most 0.01");
  const MeasurementRecord high = judge(criteria, {Kind::kValue, 0.05, "", ""});
  EXPECT_EQ(high.outcome, Outcome::kFailed);
  EXPECT_EQ(high.message, "0.05 is not at most 0.01");

  Criteria range;
  range.min = 0.9;
  range.max = 1;
  EXPECT_EQ(judge(range, {Kind::kValue, 0.95, "", ""}).message, "0.95 is between 0.9 and 1");
  EXPECT_EQ(judge(range, {Kind::kValue, 0.5, "", ""}).outcome, Outcome::kFailed);
}

TEST(MeasurementTest, NoDataIsNeverAPass) {
  Criteria criteria = error_ratio();
  EXPECT_EQ(judge(criteria, {Kind::kNoData, 0, "no series", ""}).outcome, Outcome::kInconclusive);
  criteria.no_data_fails = true;
  EXPECT_EQ(judge(criteria, {Kind::kNoData, 0, "no series", ""}).outcome, Outcome::kFailed);
}

TEST(MeasurementTest, TooFewSamplesAreInconclusiveWhateverNoDataSays) {
  Criteria criteria = error_ratio();
  criteria.no_data_fails = true;
  const MeasurementRecord record =
      judge(criteria, {Kind::kTooFewSamples, 0, "42 samples, fewer than minimumSample 100 (sampleQuery)", ""});
  EXPECT_EQ(record.outcome, Outcome::kInconclusive) << "little traffic is not a failing canary";
  EXPECT_FALSE(record.error);
  EXPECT_FALSE(record.value);
  EXPECT_EQ(record.message, "42 samples, fewer than minimumSample 100 (sampleQuery)");
}

TEST(MeasurementTest, AnErrorIsInconclusiveAndMarked) {
  const MeasurementRecord record = judge(error_ratio(), {Kind::kError, 0, "cannot reach Prometheus", ""});
  EXPECT_EQ(record.outcome, Outcome::kInconclusive);
  EXPECT_TRUE(record.error);
  EXPECT_FALSE(record.value);
}

TEST(MeasurementTest, PassesAfterCountPassingMeasurements) {
  const Criteria criteria = error_ratio();
  AnalysisRun run;
  tally(run, at(judge(criteria, {Kind::kValue, 0.002, "", ""}), "2026-11-22T09:59:00Z"));
  tally(run, at(judge(criteria, {Kind::kNoData, 0, "", ""}), "2026-11-22T09:59:10Z"));
  tally(run, at(judge(criteria, {Kind::kValue, 0.05, "", ""}), "2026-11-22T09:59:20Z"));
  EXPECT_EQ(verdict(criteria, run, kNow).message, "1 of 3 passed, 1 failed, 1 inconclusive; last: 0.05 is not at most 0.01");
  tally(run, at(judge(criteria, {Kind::kValue, 0.001, "", ""}), "2026-11-22T09:59:30Z"));
  EXPECT_EQ(verdict(criteria, run, kNow).state, State::kPending) << "failed and inconclusive ones do not count";
  tally(run, at(judge(criteria, {Kind::kValue, 0.003, "", ""}), "2026-11-22T09:59:40Z"));
  const RunVerdict passed = verdict(criteria, run, kNow);
  EXPECT_EQ(passed.state, State::kPassed);
  EXPECT_EQ(passed.message, "3 of 5 measurements passed; last: 0.003 is at most 0.01");
  EXPECT_EQ(run.started_at, "2026-11-22T09:59:00Z");
  EXPECT_EQ(run.last_value, 0.003);
}

TEST(MeasurementTest, FailsOnceFailuresExceedTheLimit) {
  const Criteria criteria = error_ratio();
  AnalysisRun run;
  tally(run, at(judge(criteria, {Kind::kValue, 0.05, "", ""}), "2026-11-22T09:59:00Z"));
  EXPECT_EQ(verdict(criteria, run, kNow).state, State::kPending) << "one failure is tolerated";
  tally(run, at(judge(criteria, {Kind::kValue, 0.07, "", ""}), "2026-11-22T09:59:30Z"));
  const RunVerdict failed = verdict(criteria, run, kNow);
  EXPECT_EQ(failed.state, State::kFailed);
  EXPECT_EQ(failed.message, "2 failed measurements (1 tolerated); last: 0.07 is not at most 0.01");
}

TEST(MeasurementTest, FailsOnceInconclusiveMeasurementsExceedTheLimit) {
  const Criteria criteria = error_ratio();
  AnalysisRun run;
  for (const char* time : {"2026-11-22T09:58:00Z", "2026-11-22T09:58:30Z", "2026-11-22T09:59:00Z"})
    tally(run, at(judge(criteria, {Kind::kError, 0, "cannot reach Prometheus: Connection", ""}), time));
  const RunVerdict failed = verdict(criteria, run, kNow);
  EXPECT_EQ(failed.state, State::kFailed);
  EXPECT_EQ(failed.message, "3 inconclusive measurements (2 tolerated); last: cannot reach Prometheus: Connection");
}

TEST(MeasurementTest, MeasuresAtOnceThenEveryInterval) {
  const Criteria criteria = error_ratio();
  EXPECT_TRUE(measurement_due(criteria, nullptr, kNow));
  AnalysisRun run;
  tally(run, at(judge(criteria, {Kind::kValue, 0.002, "", ""}), "2026-11-22T09:59:45.500Z"));
  EXPECT_FALSE(measurement_due(criteria, &run, kNow));
  EXPECT_EQ(until_due(criteria, run, kNow), 15500ms);
  EXPECT_TRUE(measurement_due(criteria, &run, kNow + 15500ms));
}

TEST(MeasurementTest, ARunningTestCountsNothingUntilItsTimeout) {
  policy::TestDefinition smoke;
  smoke.timeout = 2min;
  const Criteria criteria = criteria_for(smoke);
  AnalysisRun run;
  tally(run, at(judge(criteria, {Kind::kRunning, 0, "Job web-smoke is running", "web-smoke"}), "2026-11-22T09:59:00Z"));
  EXPECT_EQ(run.passed + run.failed + run.inconclusive, 0);
  EXPECT_EQ(run.resource, "web-smoke");
  EXPECT_EQ(verdict(criteria, run, kNow).state, State::kPending);
  EXPECT_EQ(verdict(criteria, run, kNow + 61s).state, State::kFailed);
  EXPECT_EQ(verdict(criteria, run, kNow + 61s).message, "not finished within 2m; last: Job web-smoke is running");
  tally(run, at(judge(criteria, {Kind::kPassed, 0, "Job web-smoke completed", "web-smoke"}), "2026-11-22T10:00:00Z"));
  EXPECT_EQ(verdict(criteria, run, kNow).state, State::kPassed);
}

}  // namespace
}  // namespace autocanary::analysis

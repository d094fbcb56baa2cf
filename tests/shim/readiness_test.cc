#include "shim/readiness.h"

#include <gtest/gtest.h>

namespace autocanary::shim {
namespace {

using namespace std::chrono_literals;
using TimePoint = Readiness::TimePoint;

const TimePoint kStart{std::chrono::hours(100)};

TimePoint at(std::chrono::milliseconds offset) { return kStart + offset; }

ProbeRule rule(std::string name, int success_threshold = 1, int failure_threshold = 3) {
  return {std::move(name), success_threshold, failure_threshold};
}

TEST(ShimReadinessTest, NotReadyUntilTheFirstResult) {
  Readiness readiness({rule("tcp:8080")}, {}, kStart);
  EXPECT_FALSE(readiness.ready());
  EXPECT_EQ(readiness.reason(), "waiting for the first result of tcp:8080");
  readiness.update(at(10s));
  EXPECT_FALSE(readiness.ready());
  EXPECT_FALSE(readiness.time_to_ready());
}

TEST(ShimReadinessTest, OneSuccessIsReadyWithTheDefaultThreshold) {
  Readiness readiness({rule("tcp:8080")}, {}, kStart);
  readiness.record(0, false, "connection refused", at(1s));
  EXPECT_FALSE(readiness.ready());
  EXPECT_EQ(readiness.reason(), "tcp:8080 failing: connection refused");
  readiness.record(0, true, "connected", at(2s));
  EXPECT_TRUE(readiness.ready());
  EXPECT_EQ(readiness.reason(), "ready");
  EXPECT_EQ(readiness.time_to_ready(), 2s);
  EXPECT_EQ(readiness.flaps(), 0U);
}

TEST(ShimReadinessTest, SuccessThresholdCountsSuccessesInARow) {
  Readiness readiness({rule("http:80/", 3)}, {}, kStart);
  readiness.record(0, true, "HTTP 200", at(1s));
  readiness.record(0, true, "HTTP 200", at(2s));
  EXPECT_FALSE(readiness.ready());
  EXPECT_EQ(readiness.reason(), "http:80/ passed 2 times in a row of 3 needed");
  readiness.record(0, false, "HTTP 500", at(3s));
  readiness.record(0, true, "HTTP 200", at(4s));
  readiness.record(0, true, "HTTP 200", at(5s));
  EXPECT_FALSE(readiness.ready()) << "a failure starts the count again";
  readiness.record(0, true, "HTTP 200", at(6s));
  EXPECT_TRUE(readiness.ready());
  EXPECT_EQ(readiness.time_to_ready(), 6s);
}

TEST(ShimReadinessTest, FailureThresholdToleratesShortBlipsThenFlaps) {
  Readiness readiness({rule("http:80/", 1, 3)}, {}, kStart);
  readiness.record(0, true, "HTTP 200", at(1s));
  readiness.record(0, false, "HTTP 500", at(2s));
  readiness.record(0, false, "HTTP 500", at(3s));
  EXPECT_TRUE(readiness.ready()) << "two failures of three allowed";
  readiness.record(0, true, "HTTP 200", at(4s));
  readiness.record(0, false, "HTTP 500", at(5s));
  readiness.record(0, false, "timed out after 1s", at(6s));
  EXPECT_TRUE(readiness.ready()) << "a success in between starts the count again";
  readiness.record(0, false, "HTTP 503", at(7s));
  EXPECT_FALSE(readiness.ready());
  EXPECT_EQ(readiness.reason(), "http:80/ failing: HTTP 503");
  EXPECT_EQ(readiness.flaps(), 1U);
}

TEST(ShimReadinessTest, EveryProbeMustPass) {
  Readiness readiness({rule("tcp:1"), rule("tcp:2"), rule("tcp:3")}, {}, kStart);
  readiness.record(1, false, "connection refused", at(1s));
  EXPECT_EQ(readiness.reason(), "waiting for the first result of tcp:1 (and 2 more not passing)");
  readiness.record(0, true, "connected", at(1s));
  readiness.record(2, true, "connected", at(1s));
  EXPECT_FALSE(readiness.ready());
  EXPECT_EQ(readiness.reason(), "tcp:2 failing: connection refused");
  readiness.record(1, true, "connected", at(2s));
  EXPECT_TRUE(readiness.ready());
  EXPECT_TRUE(readiness.passing(0) && readiness.passing(1) && readiness.passing(2));
}

TEST(ShimReadinessTest, WarmUpTimeRunsFromWhenAllProbesPass) {
  Readiness readiness({rule("tcp:1"), rule("tcp:2")}, {.successes = 0, .time = 5s}, kStart);
  readiness.record(0, true, "connected", at(1s));
  EXPECT_FALSE(readiness.warm_up_ends()) << "tcp:2 has not passed yet";
  readiness.record(1, true, "connected", at(2s));
  EXPECT_FALSE(readiness.ready());
  EXPECT_EQ(readiness.warm_up_ends(), at(7s));
  readiness.update(at(3500ms));
  EXPECT_EQ(readiness.reason(), "warming up: passing for 1.5s of 5s");
  readiness.update(at(6999ms));
  EXPECT_FALSE(readiness.ready());
  readiness.update(at(7s));
  EXPECT_TRUE(readiness.ready());
  EXPECT_EQ(readiness.time_to_ready(), 7s);
  EXPECT_FALSE(readiness.warm_up_ends());
}

TEST(ShimReadinessTest, WarmUpTimeStartsAgainWhenAProbeStopsPassing) {
  Readiness readiness({rule("tcp:1", 1, 1)}, {.successes = 0, .time = 5s}, kStart);
  readiness.record(0, true, "connected", at(0s));
  readiness.record(0, false, "connection refused", at(3s));
  readiness.record(0, true, "connected", at(4s));
  readiness.update(at(6s));
  EXPECT_FALSE(readiness.ready());
  EXPECT_EQ(readiness.warm_up_ends(), at(9s));
  readiness.update(at(9s));
  EXPECT_TRUE(readiness.ready());
}

TEST(ShimReadinessTest, WarmUpSuccessesCountEveryProbesRun) {
  Readiness readiness({rule("tcp:1"), rule("tcp:2")}, {.successes = 3, .time = 0ms}, kStart);
  for (int i = 1; i <= 3; ++i) readiness.record(0, true, "connected", at(std::chrono::seconds(i)));
  readiness.record(1, true, "connected", at(3s));
  EXPECT_FALSE(readiness.ready());
  EXPECT_EQ(readiness.reason(), "warming up: passing for 0s of 0s, 1 of 3 successes in a row");
  EXPECT_FALSE(readiness.warm_up_ends()) << "only results can help now";
  readiness.record(1, true, "connected", at(4s));
  readiness.record(1, false, "connection refused", at(5s));  // below the failure threshold: still passing
  readiness.record(1, true, "connected", at(6s));
  readiness.record(1, true, "connected", at(7s));
  EXPECT_FALSE(readiness.ready()) << "the failure broke the run";
  readiness.record(1, true, "connected", at(8s));
  EXPECT_TRUE(readiness.ready());
}

TEST(ShimReadinessTest, WarmUpAppliesAgainAfterAFlap) {
  Readiness readiness({rule("tcp:1", 1, 1)}, {.successes = 2, .time = 10s}, kStart);
  readiness.record(0, true, "connected", at(0s));
  readiness.record(0, true, "connected", at(10s));
  EXPECT_TRUE(readiness.ready());
  // Once ready, blips and the warm-up count no longer matter; only failures do.
  readiness.record(0, false, "connection refused", at(11s));
  EXPECT_FALSE(readiness.ready());
  EXPECT_EQ(readiness.flaps(), 1U);
  readiness.record(0, true, "connected", at(12s));
  readiness.record(0, true, "connected", at(13s));
  EXPECT_FALSE(readiness.ready()) << "the app may have restarted: it warms up again";
  readiness.update(at(22s));
  EXPECT_TRUE(readiness.ready());
  EXPECT_EQ(readiness.time_to_ready(), 10s) << "time to ready is the first time";
}

TEST(ShimReadinessTest, FlapsCountEveryLossOfReadiness) {
  Readiness readiness({rule("tcp:1", 1, 1)}, {}, kStart);
  for (int i = 0; i < 4; ++i) {
    readiness.record(0, true, "connected", at(std::chrono::seconds(2 * i)));
    readiness.record(0, false, "connection refused", at(std::chrono::seconds(2 * i + 1)));
  }
  EXPECT_EQ(readiness.flaps(), 4U);
  readiness.record(0, false, "connection refused", at(20s));
  EXPECT_EQ(readiness.flaps(), 4U) << "staying not ready is no flap";
}

}  // namespace
}  // namespace autocanary::shim

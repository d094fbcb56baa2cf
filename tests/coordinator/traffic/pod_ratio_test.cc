#include "coordinator/traffic/pod_ratio.h"

#include <gtest/gtest.h>

namespace autocanary::traffic {
namespace {

TEST(PodRatioTest, ReportsTheActualWeightRatherThanPretending) {
  const PodSplit split = split_for_weight(25, 4);
  EXPECT_EQ(split.canary_replicas, 1);
  EXPECT_EQ(split.actual_weight, 20);
}

TEST(PodRatioTest, ChoosesTheClosestCanaryCount) {
  EXPECT_EQ(split_for_weight(50, 4).canary_replicas, 4);
  EXPECT_EQ(split_for_weight(10, 9).canary_replicas, 1);   // exactly 10%
  EXPECT_EQ(split_for_weight(10, 20).canary_replicas, 2);  // 9.1% beats 13.0%
  EXPECT_EQ(split_for_weight(75, 3).canary_replicas, 9);
  EXPECT_EQ(split_for_weight(1, 4).canary_replicas, 1);    // any weight above 0 gets a pod
}

TEST(PodRatioTest, ZeroAndFullWeights) {
  EXPECT_EQ(split_for_weight(0, 4).canary_replicas, 0);
  EXPECT_EQ(split_for_weight(0, 4).actual_weight, 0);
  EXPECT_EQ(split_for_weight(100, 4).canary_replicas, 4);  // promotion does the rest
  EXPECT_EQ(split_for_weight(30, 0).canary_replicas, 1);   // a scaled-to-zero stable
  EXPECT_EQ(split_for_weight(30, 0).actual_weight, 100);
}

TEST(PodRatioTest, ActualWeightRounds) {
  EXPECT_EQ(actual_weight(1, 2), 33);
  EXPECT_EQ(actual_weight(2, 1), 67);
  EXPECT_EQ(actual_weight(0, 5), 0);
}

}  // namespace
}  // namespace autocanary::traffic

#include "coordinator/readiness_flaps.h"

#include <gtest/gtest.h>

namespace autocanary::coordinator {
namespace {

using nlohmann::json;

json pod(bool ready) {
  return {{"metadata",
           {{"name", "web-canary-abc"},
            {"namespace", "shop"},
            {"labels", {{"autocanary.io/canary-of", "web"}, {"autocanary.io/revision", "bbbbbbbbbb"}}}}},
          {"status",
           {{"phase", "Running"},
            {"conditions", json::array({{{"type", "Ready"}, {"status", ready ? "True" : "False"}}})}}}};
}

TEST(ReadinessFlapsTest, ARunningPodLosingReadinessIsAFlap) {
  ReadinessFlaps flaps;
  flaps.observe(pod(true), pod(false));
  flaps.observe(pod(false), pod(false));  // still not Ready: not another flap
  EXPECT_EQ(flaps.count("shop", "web", "bbbbbbbbbb"), 1);
}

TEST(ReadinessFlapsTest, PodsOnTheirWayOutAreNotFlaps) {
  ReadinessFlaps flaps;
  json draining = pod(false);  // a node drain or a scale-down: terminating
  draining["metadata"]["deletionTimestamp"] = "2026-11-29T10:00:00Z";
  flaps.observe(pod(true), draining);
  json evicted = pod(false);
  evicted["status"]["phase"] = "Failed";
  flaps.observe(pod(true), evicted);
  EXPECT_EQ(flaps.count("shop", "web", "bbbbbbbbbb"), 0);
}

}  // namespace
}  // namespace autocanary::coordinator

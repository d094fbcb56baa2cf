#include "coordinator/traffic/smi_router.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "coordinator/traffic/backend_services.h"
#include "tests/coordinator/traffic/memory_kube_client.h"
#include "tests/coordinator/traffic/target_fixture.h"

namespace autocanary::traffic {
namespace {

using nlohmann::json;

TEST(TrafficSplit, V1alpha1CarriesQuantityWeights) {
  const testing::TargetFixture rollout;
  EXPECT_EQ(build_traffic_split(rollout.target("split.smi-spec.io/v1alpha1"), 25),
            testing::load_json("traffic/trafficsplit-v1alpha1.json"));
}

TEST(TrafficSplit, V1alpha4CarriesIntegerWeights) {
  const testing::TargetFixture rollout;
  EXPECT_EQ(build_traffic_split(rollout.target("split.smi-spec.io/v1alpha4"), 25),
            testing::load_json("traffic/trafficsplit-v1alpha4.json"));
}

TEST(TrafficSplit, ReadsTheCanaryShareOfEveryVersion) {
  EXPECT_EQ(traffic_split_weight(testing::load_json("traffic/trafficsplit-v1alpha1.json"), "web"), 25);
  EXPECT_EQ(traffic_split_weight(testing::load_json("traffic/trafficsplit-v1alpha4.json"), "web"), 25);
  // As Linkerd's extension writes it: relative quantities.
  const json linkerd = {{"spec",
                         {{"backends", json::array({{{"service", "web-stable"}, {"weight", "500m"}},
                                                    {{"service", "web-canary"}, {"weight", "500m"}}})}}}};
  EXPECT_EQ(traffic_split_weight(linkerd, "web"), 50);
  EXPECT_EQ(traffic_split_weight(linkerd, "api"), std::nullopt) << "backends of another Service";
}

TEST(WeightQuantity, WritesMilliUnitsAndWholeOnes) {
  EXPECT_EQ(weight_quantity(25), "250m");
  EXPECT_EQ(weight_quantity(1), "10m");
  EXPECT_EQ(weight_quantity(100), "1");
  EXPECT_EQ(weight_quantity(0), "0");
}

TEST(ParseQuantity, ReadsNumbersAndMilliUnits) {
  EXPECT_EQ(parse_quantity("250m"), 0.25);
  EXPECT_EQ(parse_quantity("1"), 1.0);
  EXPECT_EQ(parse_quantity("0.5"), 0.5);
  EXPECT_EQ(parse_quantity(75), 75.0);
  EXPECT_EQ(parse_quantity("ten"), std::nullopt);
  EXPECT_EQ(parse_quantity("m"), std::nullopt);
  EXPECT_EQ(parse_quantity("-5"), std::nullopt);
  EXPECT_EQ(parse_quantity(json::array()), std::nullopt);
}

class SmiRouterTest : public ::testing::Test {
 protected:
  static constexpr const char* kVersion = "split.smi-spec.io/v1alpha2";

  void SetUp() override {
    rollout.canary = {{"metadata", {{"name", "web-canary"}, {"namespace", "shop"}}},
                      {"spec", {{"replicas", 0}}},
                      {"status", {{"readyReplicas", 0}}}};
    client.put("deployments", rollout.canary);
    client.put("services", rollout.service);
  }

  int routed() {
    const json* split = client.find("trafficsplits", "shop", "web-autocanary");
    return split == nullptr ? -1 : traffic_split_weight(*split, "web").value_or(-2);
  }

  testing::MemoryKubeClient client;
  SmiRouter router{client};
  testing::TargetFixture rollout;
};

TEST_F(SmiRouterTest, CreatesTheBackendServicesAndTheSplitAndReadsTheWeightBack) {
  rollout.canary["status"]["readyReplicas"] = 1;
  ASSERT_TRUE(router.set_weight(rollout.target(kVersion), 10));
  EXPECT_EQ(routed(), 10);
  EXPECT_NE(client.find("services", "shop", "web-stable"), nullptr);
  EXPECT_NE(client.find("services", "shop", "web-canary"), nullptr);
  EXPECT_EQ((*client.find("deployments", "shop", "web-canary"))["spec"]["replicas"], 1) << "10% of 4 → 1 pod";
  const auto view = router.observe(rollout.target(kVersion));
  ASSERT_TRUE(view);
  EXPECT_EQ(view->applied_weight, 10);
  EXPECT_TRUE(view->routing_objects);
  EXPECT_TRUE(view->settled);
}

TEST_F(SmiRouterTest, HoldsAHigherWeightBackUntilTheCanaryHasReadyPodsForIt) {
  ASSERT_TRUE(router.set_weight(rollout.target(kVersion), 50));
  EXPECT_EQ(routed(), 0) << "no ready canary pod: the split exists but sends nothing";
  EXPECT_EQ((*client.find("deployments", "shop", "web-canary"))["spec"]["replicas"], 2) << "scaled for 50%";
  rollout.canary["status"]["readyReplicas"] = 2;
  ASSERT_TRUE(router.set_weight(rollout.target(kVersion), 50));
  EXPECT_EQ(routed(), 50);
}

TEST_F(SmiRouterTest, WeightZeroIsOneWriteOfTheSplitAndKeepsTheCanaryPods) {
  rollout.canary["status"]["readyReplicas"] = 4;
  ASSERT_TRUE(router.set_weight(rollout.target(kVersion), 100));
  rollout.service = *client.find("services", "shop", "web");  // as the next pass reads them
  rollout.canary = *client.find("deployments", "shop", "web-canary");
  rollout.canary["status"]["readyReplicas"] = 4;
  client.writes.clear();
  client.reads.clear();
  client.calls.clear();
  ASSERT_TRUE(router.set_weight(rollout.target(kVersion), 0));
  const auto split_written = std::find(client.calls.begin(), client.calls.end(), "update trafficsplits/web-autocanary");
  ASSERT_NE(split_written, client.calls.end());
  EXPECT_EQ(std::count_if(client.calls.begin(), split_written,
                          [](const std::string& call) { return call.find(" services/") != std::string::npos; }),
            0)
      << "weight 0 writes the split without checking the backend Services first";
  EXPECT_EQ(std::count(client.reads.begin(), client.reads.end(), "get trafficsplits/web-autocanary"), 2)
      << "the current weight, then the object to update, once";
  EXPECT_EQ(routed(), 0);
  EXPECT_EQ(client.writes,
            (std::vector<std::string>{"update trafficsplits/web-autocanary", "patch deployments/web-canary"}))
      << "the split first, in one update; then the canary's weight annotation (the backend Services unchanged)";
  EXPECT_EQ((*client.find("deployments", "shop", "web-canary"))["spec"]["replicas"], 4);
}

TEST_F(SmiRouterTest, WeightZeroAfterAPromotionNarrowsTheStableServiceBackBeforeTheCanaryGoes) {
  // The promotion widened web-stable to every pod of the Deployment while it rolled.
  rollout.canary["status"]["readyReplicas"] = 4;
  traffic::RolloutTarget rolling = rollout.target(kVersion);
  rolling.stable_pod_template_hash.reset();
  ASSERT_TRUE(router.set_weight(rolling, 100));
  const auto stable_selector = [&] { return (*client.find("services", "shop", "web-stable"))["spec"]["selector"]; };
  ASSERT_FALSE(stable_selector().contains("pod-template-hash")) << "widened: the canary's pods match it too";
  rollout.service = *client.find("services", "shop", "web");
  rollout.canary = *client.find("deployments", "shop", "web-canary");
  rollout.canary["status"]["readyReplicas"] = 4;
  client.calls.clear();

  // Promoted: one ReplicaSet again, and all traffic back to it.
  ASSERT_TRUE(router.set_weight(rollout.target(kVersion), 0));
  EXPECT_EQ(routed(), 0);
  EXPECT_EQ(stable_selector(), (json{{"app", "web"}, {"pod-template-hash", "6d5f8b9c4"}}));
  const auto split_written = std::find(client.calls.begin(), client.calls.end(), "update trafficsplits/web-autocanary");
  const auto narrowed = std::find(client.calls.begin(), client.calls.end(), "update services/web-stable");
  ASSERT_NE(narrowed, client.calls.end()) << ::testing::PrintToString(client.calls);
  EXPECT_LT(split_written, narrowed) << "the weight first: an abort's time to weight 0 stays one write";
  EXPECT_EQ((*client.find("deployments", "shop", "web-canary"))["spec"]["replicas"], 4);
}

TEST_F(SmiRouterTest, CleanupRemovesOnlyWhatItMade) {
  rollout.canary["status"]["readyReplicas"] = 1;
  const json user_service = *client.find("services", "shop", "web");
  ASSERT_TRUE(router.set_weight(rollout.target(kVersion), 10));
  rollout.service = *client.find("services", "shop", "web");
  EXPECT_EQ(rollout.service["spec"]["selector"]["pod-template-hash"], "6d5f8b9c4")
      << "clients outside the mesh reach only the stable pods";
  ASSERT_TRUE(router.cleanup(rollout.target(kVersion)));
  EXPECT_EQ(client.find("trafficsplits", "shop", "web-autocanary"), nullptr);
  EXPECT_EQ(client.find("services", "shop", "web-stable"), nullptr);
  EXPECT_EQ(client.find("services", "shop", "web-canary"), nullptr);
  const json* restored = client.find("services", "shop", "web");
  ASSERT_NE(restored, nullptr) << "the user's Service stays";
  EXPECT_EQ((*restored)["spec"], user_service["spec"]);
  EXPECT_EQ((*restored)["metadata"].contains("annotations"), user_service["metadata"].contains("annotations"));
  const auto view = router.observe(rollout.target(kVersion));
  ASSERT_TRUE(view);
  EXPECT_FALSE(view->routing_objects);
}

TEST_F(SmiRouterTest, NeverTakesOverAUsersObjectOfTheSameName) {
  client.put("services", {{"metadata", {{"name", "web-stable"}, {"namespace", "shop"}}},
                          {"spec", {{"selector", {{"app", "legacy"}}}}}});
  const auto routed_now = router.set_weight(rollout.target(kVersion), 0);
  ASSERT_FALSE(routed_now);
  EXPECT_NE(routed_now.error().message.find("was not made by autocanary"), std::string::npos);
  EXPECT_EQ((*client.find("services", "shop", "web-stable"))["spec"]["selector"], (json{{"app", "legacy"}}));
  ASSERT_TRUE(router.cleanup(rollout.target(kVersion)));
  EXPECT_NE(client.find("services", "shop", "web-stable"), nullptr) << "cleanup never deletes it either";
}

TEST_F(SmiRouterTest, AServiceThatDisappearedIsACleanErrorExceptForWeightZero) {
  traffic::RolloutTarget target = rollout.target(kVersion);
  target.service = nullptr;
  const auto raised = router.set_weight(target, 10);
  ASSERT_FALSE(raised);
  EXPECT_NE(raised.error().message.find("no longer exists"), std::string::npos);
  EXPECT_TRUE(router.set_weight(target, 0));
}

}  // namespace
}  // namespace autocanary::traffic

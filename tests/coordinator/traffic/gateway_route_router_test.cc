#include "coordinator/traffic/gateway_route_router.h"

#include <gtest/gtest.h>

#include "coordinator/traffic/gateway_route.h"
#include "tests/coordinator/traffic/memory_kube_client.h"
#include "tests/coordinator/traffic/target_fixture.h"

namespace autocanary::traffic {
namespace {

using nlohmann::json;

constexpr const char* kVersion = "gateway.networking.k8s.io/v1";

class GatewayRouteRouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rollout.canary = {{"metadata", {{"name", "web-canary"}, {"namespace", "shop"}}},
                      {"spec", {{"replicas", 4}}},
                      {"status", {{"readyReplicas", 4}}}};
    client.put("deployments", rollout.canary);
    client.put("services", rollout.service);
    client.put("httproutes", testing::load_json("traffic/user-httproute.json"));
    user = *client.find("httproutes", "shop", "shop");
  }
  testing::MemoryKubeClient client;
  GatewayRouteRouter router{client};
  testing::TargetFixture rollout;
  json user;
};

TEST_F(GatewayRouteRouterTest, ReweightsTheUsersRouteInPlaceAndRestoresIt) {
  ASSERT_TRUE(router.set_weight(rollout.target(kVersion), 30));
  const json* live = client.find("httproutes", "shop", "shop");
  ASSERT_NE(live, nullptr);
  EXPECT_EQ(user_route_weights(*live, "web"), (std::vector<std::optional<int>>{30, 30}));
  EXPECT_EQ((*live)["spec"]["rules"][0], user["spec"]["rules"][0]);
  EXPECT_NE(client.find("services", "shop", "web-canary"), nullptr);
  EXPECT_NE(client.find("services", "shop", "web-stable"), nullptr);
  for (const std::string& write : client.writes) EXPECT_EQ(write.find("create httproutes"), std::string::npos) << write;
  const auto view = router.observe(rollout.target(kVersion));
  ASSERT_TRUE(view);
  EXPECT_EQ(view->applied_weight, 30);
  EXPECT_TRUE(view->routing_objects);

  ASSERT_TRUE(router.cleanup(rollout.target(kVersion)));
  const json restored = *client.find("httproutes", "shop", "shop");
  EXPECT_EQ(restored["spec"], user["spec"]);
  EXPECT_EQ(restored["metadata"]["annotations"], user["metadata"]["annotations"]);
  EXPECT_EQ(client.find("services", "shop", "web-canary"), nullptr);
  const auto after = router.observe(rollout.target(kVersion));
  ASSERT_TRUE(after);
  EXPECT_FALSE(after->routing_objects);
}

TEST_F(GatewayRouteRouterTest, AnAbortIsOneWriteOfTheRoute) {
  ASSERT_TRUE(router.set_weight(rollout.target(kVersion), 40));
  rollout.service = *client.find("services", "shop", "web");  // narrowed, as the next pass reads it
  client.writes.clear();
  ASSERT_TRUE(router.set_weight(rollout.target(kVersion), 0));
  EXPECT_EQ(user_route_weights(*client.find("httproutes", "shop", "shop"), "web"),
            (std::vector<std::optional<int>>{0, 0}));
  ASSERT_FALSE(client.writes.empty());
  EXPECT_EQ(client.writes.front(), "update httproutes/shop");
}

TEST_F(GatewayRouteRouterTest, GrpcRoutesAndOurGammaRoutesAreToldApart) {
  client.put("grpcroutes", json::parse(R"({"apiVersion":"gateway.networking.k8s.io/v1","kind":"GRPCRoute",
    "metadata":{"name":"cart","namespace":"shop"},
    "spec":{"parentRefs":[{"name":"public"}],"rules":[{"backendRefs":[{"name":"web","port":9000}]}]}})"));
  // A GAMMA route of ours for the same Service is not the user's.
  client.put("httproutes", json::parse(R"({"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute",
    "metadata":{"name":"web-autocanary-80","namespace":"shop","labels":{"autocanary.io/routing-for":"web"}},
    "spec":{"parentRefs":[{"kind":"Service","name":"web"}],"rules":[{"backendRefs":[{"name":"web","port":80}]}]}})"));
  ASSERT_TRUE(router.set_weight(rollout.target(kVersion), 20));
  EXPECT_EQ(user_route_weights(*client.find("grpcroutes", "shop", "cart"), "web"),
            (std::vector<std::optional<int>>{20}));
  EXPECT_EQ(user_route_weights(*client.find("httproutes", "shop", "web-autocanary-80"), "web"),
            (std::vector<std::optional<int>>{std::nullopt}));
  ASSERT_TRUE(router.cleanup(rollout.target(kVersion)));
  EXPECT_EQ((*client.find("grpcroutes", "shop", "cart"))["spec"]["rules"][0]["backendRefs"],
            json::parse(R"([{"name":"web","port":9000}])"));
}

TEST_F(GatewayRouteRouterTest, ARuleAddedMeanwhileMakesTheWeightBeWrittenAgain) {
  ASSERT_TRUE(router.set_weight(rollout.target(kVersion), 10));
  json live = *client.find("httproutes", "shop", "shop");
  live["spec"]["rules"].push_back(json::parse(R"({"backendRefs":[{"name":"web","port":80}]})"));
  client.put("httproutes", live);
  const auto view = router.observe(rollout.target(kVersion));
  ASSERT_TRUE(view);
  EXPECT_EQ(view->applied_weight, 100) << "read as out of date, so the planner writes its weight again";
  ASSERT_TRUE(router.set_weight(rollout.target(kVersion), 10));
  EXPECT_EQ(user_route_weights(*client.find("httproutes", "shop", "shop"), "web"),
            (std::vector<std::optional<int>>{10, 10, 10}));
}

TEST_F(GatewayRouteRouterTest, WithoutAUsersRouteAWeightIsAnErrorAndZeroIsNot) {
  client.objects.erase("httproutes/shop/shop");
  const auto raised = router.set_weight(rollout.target(kVersion), 10);
  ASSERT_FALSE(raised);
  EXPECT_NE(raised.error().message.find("no HTTPRoute or GRPCRoute"), std::string::npos) << raised.error().message;
  EXPECT_TRUE(router.set_weight(rollout.target(kVersion), 0));
}

}  // namespace
}  // namespace autocanary::traffic

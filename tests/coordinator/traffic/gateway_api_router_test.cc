#include "coordinator/traffic/gateway_api_router.h"

#include <gtest/gtest.h>

#include "tests/coordinator/traffic/memory_kube_client.h"
#include "tests/coordinator/traffic/target_fixture.h"

namespace autocanary::traffic {
namespace {

using nlohmann::json;

constexpr const char* kVersion = "gateway.networking.k8s.io/v1";

TEST(HttpRoutes, TheServiceIsTheParentAndTheBackendsAreWeighted) {
  const testing::TargetFixture rollout;
  const auto routes = build_http_routes(rollout.target(kVersion), 5);
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(routes[0], testing::load_json("traffic/httproute.json"));
}

TEST(HttpRoutes, OneRoutePerServicePort) {
  testing::TargetFixture rollout;
  rollout.service["spec"]["ports"].push_back({{"name", "grpc"}, {"port", 9000}, {"targetPort", 9000}});
  const auto routes = build_http_routes(rollout.target(kVersion), 30);
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[1]["metadata"]["name"], "web-autocanary-9000");
  EXPECT_EQ(routes[1]["spec"]["parentRefs"][0]["port"], 9000);
  for (const auto& ref : routes[1]["spec"]["rules"][0]["backendRefs"]) EXPECT_EQ(ref["port"], 9000);
  EXPECT_EQ(http_route_weight(routes[1], "web"), 30);
}

TEST(HttpRoutes, ReadsTheWeightAsTheApiDefinesIt) {
  EXPECT_EQ(http_route_weight(testing::load_json("traffic/httproute.json"), "web"), 5);
  json route = testing::load_json("traffic/httproute.json");
  for (auto& ref : route["spec"]["rules"][0]["backendRefs"]) ref.erase("weight");
  EXPECT_EQ(http_route_weight(route, "web"), 50) << "an omitted weight is 1 on each side";
  EXPECT_EQ(http_route_weight(route, "api"), std::nullopt);
  EXPECT_EQ(http_route_weight(json::object(), "web"), std::nullopt);
}

TEST(GatewayApiRouter, RemovesTheRouteOfAPortTheServiceNoLongerHas) {
  testing::MemoryKubeClient client;
  GatewayApiRouter router(client);
  testing::TargetFixture rollout;
  client.put("services", rollout.service);
  rollout.service["spec"]["ports"].push_back({{"name", "grpc"}, {"port", 9000}, {"targetPort", 9000}});
  ASSERT_TRUE(router.ensure(rollout.target(kVersion)));
  ASSERT_NE(client.find("httproutes", "shop", "web-autocanary-9000"), nullptr);
  rollout.service["spec"]["ports"].erase(1);
  ASSERT_TRUE(router.ensure(rollout.target(kVersion)));
  EXPECT_EQ(client.find("httproutes", "shop", "web-autocanary-9000"), nullptr);
  EXPECT_NE(client.find("httproutes", "shop", "web-autocanary-80"), nullptr);
  ASSERT_TRUE(router.cleanup(rollout.target(kVersion)));
  EXPECT_EQ(client.find("httproutes", "shop", "web-autocanary-80"), nullptr);
  EXPECT_EQ(client.find("services", "shop", "web-stable"), nullptr);
}

TEST(GatewayApiRouter, AnUnchangedRouteIsNotWrittenAgain) {
  testing::MemoryKubeClient client;
  GatewayApiRouter router(client);
  testing::TargetFixture rollout;
  client.put("services", rollout.service);
  ASSERT_TRUE(router.ensure(rollout.target(kVersion)));
  rollout.service = *client.find("services", "shop", "web");  // as the next pass reads it
  client.writes.clear();
  ASSERT_TRUE(router.ensure(rollout.target(kVersion)));
  EXPECT_TRUE(client.writes.empty()) << ::testing::PrintToString(client.writes);
}

}  // namespace
}  // namespace autocanary::traffic

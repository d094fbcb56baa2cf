#include "coordinator/traffic/istio_router.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/coordinator/traffic/memory_kube_client.h"
#include "tests/coordinator/traffic/target_fixture.h"

namespace autocanary::traffic {
namespace {

using nlohmann::json;

constexpr const char* kVersion = "networking.istio.io/v1";

TEST(VirtualService, OursWeightsTheTwoBackendServices) {
  const testing::TargetFixture rollout;
  const json service = build_virtual_service(rollout.target(kVersion), 40);
  EXPECT_EQ(service, testing::load_json("traffic/virtualservice.json"));
  EXPECT_EQ(virtual_service_weight(service, rollout.target(kVersion)), 40);
}

TEST(NamesService, AcceptsEveryFormOfTheHost) {
  for (const char* host : {"web", "web.shop", "web.shop.svc", "web.shop.svc.cluster.local"})
    EXPECT_TRUE(names_service(host, "web", "shop")) << host;
  for (const char* host : {"web.other", "webx", "web-legacy.shop.svc.cluster.local", "web.example.com"})
    EXPECT_FALSE(names_service(host, "web", "shop")) << host;
}

TEST(UserVirtualService, OnlyTheRoutesToTheServiceAreReweighted) {
  const testing::TargetFixture rollout;
  const json user = testing::load_json("traffic/user-virtualservice.json");
  const auto reweighted = reweight_user_virtual_service(user, rollout.target(kVersion), 30);
  ASSERT_TRUE(reweighted);
  EXPECT_EQ(*reweighted, testing::load_json("traffic/user-virtualservice-at-30.json"));
  EXPECT_EQ((*reweighted)["spec"]["http"][0].dump(), user["spec"]["http"][0].dump());
  EXPECT_EQ((*reweighted)["spec"]["http"][2].dump(), user["spec"]["http"][2].dump());
  EXPECT_EQ(virtual_service_weight(*reweighted, rollout.target(kVersion)), 30);
}

TEST(UserVirtualService, ReweightingAgainKeepsTheFirstOriginals) {
  const testing::TargetFixture rollout;
  const json at_30 = testing::load_json("traffic/user-virtualservice-at-30.json");
  const auto at_0 = reweight_user_virtual_service(at_30, rollout.target(kVersion), 0);
  ASSERT_TRUE(at_0);
  EXPECT_EQ((*at_0)["metadata"]["annotations"], at_30["metadata"]["annotations"]);
  EXPECT_EQ(virtual_service_weight(*at_0, rollout.target(kVersion)), 0);
}

TEST(UserVirtualService, RestoringGivesBackTheObjectAsTheUserWroteIt) {
  const testing::TargetFixture rollout;
  const json user = testing::load_json("traffic/user-virtualservice.json");
  EXPECT_EQ(restore_user_virtual_service(testing::load_json("traffic/user-virtualservice-at-30.json"),
                                         rollout.target(kVersion)),
            user);
  json without_annotations = user;
  without_annotations["metadata"].erase("annotations");
  const auto reweighted = reweight_user_virtual_service(without_annotations, rollout.target(kVersion), 10);
  ASSERT_TRUE(reweighted);
  EXPECT_EQ(restore_user_virtual_service(*reweighted, rollout.target(kVersion)), without_annotations);
}

TEST(UserVirtualService, RecordsOfAnOlderVersionKeyedByIndexStillRestore) {
  const testing::TargetFixture rollout;
  EXPECT_EQ(restore_user_virtual_service(testing::load_json("traffic/user-virtualservice-at-30-index-keyed.json"),
                                         rollout.target(kVersion)),
            testing::load_json("traffic/user-virtualservice.json"));
}

TEST(UserVirtualService, ARouteInsertedBeforeTheReweightedOneMovesNothingOnRestore) {
  const testing::TargetFixture rollout;
  const json user = testing::load_json("traffic/user-virtualservice.json");
  json live = testing::load_json("traffic/user-virtualservice-at-30.json");
  // The user inserts a route at the top while the canary runs.
  const json inserted = {{"name", "beta"},
                         {"match", json::array({{{"headers", {{"x-beta", {{"exact", "1"}}}}}}})},
                         {"route", json::array({{{"destination", {{"host", "beta"}}}}})}};
  live["spec"]["http"].insert(live["spec"]["http"].begin(), inserted);
  const auto at_40 = reweight_user_virtual_service(live, rollout.target(kVersion), 40);
  ASSERT_TRUE(at_40);
  EXPECT_EQ((*at_40)["spec"]["http"][0], inserted);
  EXPECT_EQ(virtual_service_weight(*at_40, rollout.target(kVersion)), 40);
  const json restored = restore_user_virtual_service(*at_40, rollout.target(kVersion));
  json expected = user;
  expected["spec"]["http"].insert(expected["spec"]["http"].begin(), inserted);
  EXPECT_EQ(restored, expected) << "the inserted route and the user's routes each as written";
}

TEST(UserVirtualService, ReorderedRoutesAreEachRestoredByContent) {
  const testing::TargetFixture rollout;
  json live = testing::load_json("traffic/user-virtualservice-at-30.json");
  std::swap(live["spec"]["http"][0], live["spec"]["http"][1]);
  const json restored = restore_user_virtual_service(live, rollout.target(kVersion));
  json expected = testing::load_json("traffic/user-virtualservice.json");
  std::swap(expected["spec"]["http"][0], expected["spec"]["http"][1]);
  EXPECT_EQ(restored, expected);
}

TEST(UserVirtualService, ARouteTheUserChangedMeanwhileGoesBackToTheServiceAlone) {
  const testing::TargetFixture rollout;
  json live = testing::load_json("traffic/user-virtualservice-at-30.json");
  live["spec"]["http"][1]["timeout"] = "5s";  // no longer the recorded route's content
  const json restored = restore_user_virtual_service(live, rollout.target(kVersion));
  EXPECT_EQ(restored["spec"]["http"][1]["route"],
            json::parse(R"([{"destination":{"host":"web.shop.svc.cluster.local","port":{"number":80}}}])"));
  EXPECT_EQ(restored["spec"]["http"][1]["timeout"], "5s");
}

TEST(UserVirtualService, NoRouteToTheServiceMeansNothingToReweight) {
  const testing::TargetFixture rollout;
  json user = testing::load_json("traffic/user-virtualservice.json");
  user["spec"]["http"].erase(1);
  EXPECT_EQ(reweight_user_virtual_service(user, rollout.target(kVersion), 10), std::nullopt);
}

class IstioRouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rollout.canary = {{"metadata", {{"name", "web-canary"}, {"namespace", "shop"}}},
                      {"spec", {{"replicas", 4}}},
                      {"status", {{"readyReplicas", 4}}}};
    client.put("deployments", rollout.canary);
    client.put("services", rollout.service);
  }
  testing::MemoryKubeClient client;
  IstioRouter router{client};
  testing::TargetFixture rollout;
};

TEST_F(IstioRouterTest, AUsersVirtualServiceIsReweightedInPlaceAndRestored) {
  json user = testing::load_json("traffic/user-virtualservice.json");
  client.put("virtualservices", user);
  user = *client.find("virtualservices", "shop", "web");
  ASSERT_TRUE(router.set_weight(rollout.target(kVersion), 30));
  EXPECT_EQ(client.find("virtualservices", "shop", "web-autocanary"), nullptr) << "no VirtualService of ours";
  EXPECT_NE(client.find("services", "shop", "web-canary"), nullptr);
  const auto view = router.observe(rollout.target(kVersion));
  ASSERT_TRUE(view);
  EXPECT_EQ(view->applied_weight, 30);

  ASSERT_TRUE(router.cleanup(rollout.target(kVersion)));
  json restored = *client.find("virtualservices", "shop", "web");
  EXPECT_EQ(restored["spec"], user["spec"]);
  EXPECT_EQ(restored["metadata"]["annotations"], user["metadata"]["annotations"]);
  EXPECT_EQ(client.find("services", "shop", "web-canary"), nullptr);
  const auto after = router.observe(rollout.target(kVersion));
  ASSERT_TRUE(after);
  EXPECT_FALSE(after->routing_objects);
}

TEST_F(IstioRouterTest, ObservingThenReweightingInOnePassListsTheVirtualServicesOnce) {
  client.put("virtualservices", testing::load_json("traffic/user-virtualservice.json"));
  ASSERT_TRUE(router.set_weight(rollout.target(kVersion), 30));
  PassReads reads;
  RolloutTarget target = rollout.target(kVersion);
  target.reads = &reads;
  client.reads.clear();
  ASSERT_TRUE(router.observe(target));
  ASSERT_TRUE(router.set_weight(target, 0));
  EXPECT_EQ(std::count(client.reads.begin(), client.reads.end(), "list virtualservices"), 1);
  EXPECT_EQ(virtual_service_weight(*client.find("virtualservices", "shop", "web"), target), 0);

  client.reads.clear();
  const auto view = router.observe(target);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->applied_weight, 0) << "after its write the router reads afresh";
  EXPECT_EQ(std::count(client.reads.begin(), client.reads.end(), "list virtualservices"), 1);
}

TEST_F(IstioRouterTest, WithoutAUsersVirtualServiceItCreatesAndRemovesItsOwn) {
  ASSERT_TRUE(router.set_weight(rollout.target(kVersion), 40));
  const json* ours = client.find("virtualservices", "shop", "web-autocanary");
  ASSERT_NE(ours, nullptr);
  EXPECT_EQ(virtual_service_weight(*ours, rollout.target(kVersion)), 40);
  ASSERT_TRUE(router.cleanup(rollout.target(kVersion)));
  EXPECT_EQ(client.find("virtualservices", "shop", "web-autocanary"), nullptr);
  EXPECT_EQ(client.find("services", "shop", "web-canary"), nullptr);
}

}  // namespace
}  // namespace autocanary::traffic

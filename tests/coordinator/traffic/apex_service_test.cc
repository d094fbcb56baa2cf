#include "coordinator/traffic/apex_service.h"

#include <gtest/gtest.h>

#include "tests/coordinator/traffic/memory_kube_client.h"
#include "tests/coordinator/traffic/target_fixture.h"

namespace autocanary::traffic {
namespace {

using nlohmann::json;

constexpr const char* kVersion = "split.smi-spec.io/v1alpha2";

TEST(NarrowedApex, SelectsOnlyTheStableReplicaSetAndSaysWhoNarrowedIt) {
  const testing::TargetFixture rollout;
  const auto narrowed = narrowed_apex(rollout.service, rollout.target(kVersion));
  ASSERT_TRUE(narrowed);
  EXPECT_EQ((*narrowed)["spec"]["selector"], (json{{"app", "web"}, {"pod-template-hash", "6d5f8b9c4"}}));
  EXPECT_EQ((*narrowed)["metadata"]["annotations"]["autocanary.io/narrowed-for"], "web");
  EXPECT_EQ(narrowed_apex(*narrowed, rollout.target(kVersion)), std::nullopt) << "already narrowed: no write";
}

TEST(NarrowedApex, WidensWhileTheStableWorkloadRolls) {
  testing::TargetFixture rollout;
  rollout.service = *narrowed_apex(rollout.service, rollout.target(kVersion));
  RolloutTarget promoting = rollout.target(kVersion);
  promoting.stable_pod_template_hash.reset();
  const auto widened = narrowed_apex(rollout.service, promoting);
  ASSERT_TRUE(widened);
  EXPECT_EQ((*widened)["spec"]["selector"], (json{{"app", "web"}}));
  EXPECT_FALSE((*widened)["metadata"].contains("annotations"));
}

TEST(NarrowedApex, LeavesAUsersOwnHashAndAnotherDeploymentsNarrowingAlone) {
  testing::TargetFixture rollout;
  json own = rollout.service;
  own["spec"]["selector"]["pod-template-hash"] = "pinned";
  EXPECT_EQ(narrowed_apex(own, rollout.target(kVersion)), std::nullopt);
  json other = rollout.service;
  other["metadata"]["annotations"]["autocanary.io/narrowed-for"] = "api";
  other["spec"]["selector"]["pod-template-hash"] = "abc";
  EXPECT_EQ(narrowed_apex(other, rollout.target(kVersion)), std::nullopt);
  EXPECT_EQ(restored_apex(other, rollout.target(kVersion)), std::nullopt);
  json selects_nothing = rollout.service;
  selects_nothing["spec"].erase("selector");
  EXPECT_EQ(narrowed_apex(selects_nothing, rollout.target(kVersion)), std::nullopt) << "no endpoints of ours to hide";
}

TEST(RestoredApex, GivesBackTheServiceAsTheUserWroteIt) {
  testing::TargetFixture rollout;
  rollout.service["metadata"]["annotations"] = {{"team", "shop"}};
  const auto restored = restored_apex(*narrowed_apex(rollout.service, rollout.target(kVersion)),
                                      rollout.target(kVersion));
  ASSERT_TRUE(restored);
  EXPECT_EQ(*restored, rollout.service);
  EXPECT_EQ(restored_apex(rollout.service, rollout.target(kVersion)), std::nullopt) << "nothing of ours to remove";
}

TEST(NarrowApex, WritesOnlyWhenSomethingChanges) {
  testing::MemoryKubeClient client;
  testing::TargetFixture rollout;
  client.put("services", rollout.service);
  rollout.service = *client.find("services", "shop", "web");
  ASSERT_TRUE(narrow_apex(client, rollout.target(kVersion)));
  EXPECT_EQ(client.writes, std::vector<std::string>{"update services/web"});
  rollout.service = *client.find("services", "shop", "web");
  EXPECT_EQ(rollout.service["spec"]["selector"]["pod-template-hash"], "6d5f8b9c4");
  client.writes.clear();
  ASSERT_TRUE(narrow_apex(client, rollout.target(kVersion)));
  EXPECT_TRUE(client.writes.empty());
  ASSERT_TRUE(restore_apex(client, rollout.target(kVersion)));
  EXPECT_EQ((*client.find("services", "shop", "web"))["spec"]["selector"], (json{{"app", "web"}}));
}

TEST(RestoreApex, ReadsTheLiveServiceNotThePassesCopy) {
  testing::MemoryKubeClient client;
  testing::TargetFixture rollout;
  client.put("services", rollout.service);
  rollout.service = *client.find("services", "shop", "web");
  ASSERT_TRUE(narrow_apex(client, rollout.target(kVersion)));  // the weight-0 write after a promotion…
  ASSERT_TRUE(restore_apex(client, rollout.target(kVersion)));  // …then the cleanup, in the same pass
  EXPECT_EQ((*client.find("services", "shop", "web"))["spec"]["selector"], (json{{"app", "web"}}));
}

TEST(RestoreApexesOf, PutsBackOnlyTheServicesNarrowedForTheDeletedDeployment) {
  testing::MemoryKubeClient client;
  testing::TargetFixture rollout;
  client.put("services", *narrowed_apex(rollout.service, rollout.target(kVersion)));
  json other = rollout.service;
  other["metadata"]["name"] = "api";
  other["metadata"]["annotations"]["autocanary.io/narrowed-for"] = "api";
  other["spec"]["selector"]["pod-template-hash"] = "abc";
  client.put("services", other);
  ASSERT_TRUE(restore_apexes_of(client, "shop", "web"));
  EXPECT_EQ((*client.find("services", "shop", "web"))["spec"]["selector"], (json{{"app", "web"}}));
  EXPECT_EQ((*client.find("services", "shop", "api"))["spec"]["selector"]["pod-template-hash"], "abc");
}

}  // namespace
}  // namespace autocanary::traffic

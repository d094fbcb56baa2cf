#include "coordinator/traffic/backend_services.h"

#include <gtest/gtest.h>

#include "coordinator/traffic/apex_service.h"
#include "coordinator/traffic/mesh_router.h"
#include "tests/coordinator/traffic/target_fixture.h"

namespace autocanary::traffic {
namespace {

using nlohmann::json;

TEST(BackendServices, StableSelectsTheStableReplicaSetByItsPodTemplateHash) {
  const testing::TargetFixture rollout;
  EXPECT_EQ(build_backend_service(rollout.target(""), Track::kStable),
            testing::load_json("traffic/backend-service-stable.json"));
}

TEST(BackendServices, CanarySelectsTheCanaryWorkloadsPods) {
  const testing::TargetFixture rollout;
  EXPECT_EQ(build_backend_service(rollout.target(""), Track::kCanary),
            testing::load_json("traffic/backend-service-canary.json"));
}

TEST(BackendServices, WhileStableRollsTheStableServiceSelectsEveryPodOfTheDeployment) {
  const testing::TargetFixture rollout;
  RolloutTarget target = rollout.target("");
  target.stable_pod_template_hash.reset();
  EXPECT_EQ(build_backend_service(target, Track::kStable)["spec"]["selector"], (json{{"app", "web"}}));
}

TEST(BackendServices, SelectFromTheUsersSelectorNotTheApexsNarrowing) {
  testing::TargetFixture rollout;
  rollout.service = *narrowed_apex(rollout.service, rollout.target(""));
  EXPECT_EQ(build_backend_service(rollout.target(""), Track::kCanary),
            testing::load_json("traffic/backend-service-canary.json"));
  RolloutTarget promoting = rollout.target("");
  promoting.stable_pod_template_hash.reset();
  EXPECT_EQ(build_backend_service(promoting, Track::kStable)["spec"]["selector"], (json{{"app", "web"}}));
}

TEST(BackendServices, PortsAreCopiedWithTheApiserversDefaults) {
  testing::TargetFixture rollout;
  rollout.service["spec"]["ports"] = json::array({{{"port", 8443}, {"appProtocol", "https"}}});
  EXPECT_EQ(build_backend_service(rollout.target(""), Track::kCanary)["spec"]["ports"],
            json::parse(R"([{"port": 8443, "targetPort": 8443, "protocol": "TCP", "appProtocol": "https"}])"));
}

TEST(MeshCanaryReplicas, FollowTheWeightRoundedUpOrMatchStable) {
  using policy::CanaryReplicas;
  EXPECT_EQ(mesh_canary_replicas(CanaryReplicas::kWeight, 0, 4), 0);
  EXPECT_EQ(mesh_canary_replicas(CanaryReplicas::kWeight, 1, 4), 1) << "any weight gets a pod";
  EXPECT_EQ(mesh_canary_replicas(CanaryReplicas::kWeight, 25, 4), 1);
  EXPECT_EQ(mesh_canary_replicas(CanaryReplicas::kWeight, 26, 4), 2);
  EXPECT_EQ(mesh_canary_replicas(CanaryReplicas::kWeight, 100, 4), 4);
  EXPECT_EQ(mesh_canary_replicas(CanaryReplicas::kMatchStable, 0, 4), 4);
  EXPECT_EQ(mesh_canary_replicas(CanaryReplicas::kMatchStable, 10, 0), 1);
}

}  // namespace
}  // namespace autocanary::traffic

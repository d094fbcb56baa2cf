#include "cli/canary_view.h"

#include <gtest/gtest.h>

#include "tests/cli/cli_fixtures.h"

namespace autocanary::cli {
namespace {

using nlohmann::json;
using testing::at;

TEST(CanaryView, TheStableWorkloadIsTheNewestReplicaSetAndItsPodsSortedByName) {
  const CanaryView view = build_view(testing::waiting_sources(), at("2024-05-01T10:01:12Z"));
  EXPECT_EQ(view.stable.deployment, "web");
  EXPECT_EQ(view.stable.replica_set, "web-new");
  ASSERT_EQ(view.stable.pods.size(), 2u);
  EXPECT_EQ(view.stable.pods[0].name, "web-new-a");
  EXPECT_EQ(view.stable.pods[0].restarts, 2);
  EXPECT_EQ(view.stable.ready, 2);
  EXPECT_EQ(view.stable.images, std::vector<std::string>{"shop/api:1.0.0"});
  EXPECT_EQ(view.canary.replica_set, "web-canary-1");
  EXPECT_EQ(view.canary.images, std::vector<std::string>{"shop/api:2.0.0"});
}

TEST(CanaryView, PodRatioWeightsAreTheReadyPodsShare) {
  const CanaryView view = build_view(testing::waiting_sources(), at("2024-05-01T10:01:12Z"));
  EXPECT_EQ(view.routing.router, "podRatio");
  EXPECT_EQ(view.routing.canary_weight, 33);
  EXPECT_EQ(view.routing.stable_weight, 67);
}

TEST(CanaryView, StepsCarryTheirStateAndDuration) {
  const CanaryView view = build_view(testing::waiting_sources(), at("2024-05-01T10:01:12Z"));
  ASSERT_EQ(view.steps.size(), 3u);
  EXPECT_EQ(view.steps[0].state, StepState::kDone);
  EXPECT_EQ(view.steps[0].duration, std::chrono::seconds(12));
  EXPECT_EQ(view.steps[1].state, StepState::kWaiting);
  EXPECT_EQ(view.steps[1].duration, std::chrono::seconds(60));
  EXPECT_EQ(view.steps[2].state, StepState::kPending);
  EXPECT_EQ(view.steps[2].description, "setWeight 100");
  EXPECT_FALSE(view.steps[2].duration);
}

TEST(CanaryView, AFailedStepAndTheRestAfterAnAbort) {
  CanarySources sources = testing::waiting_sources();
  json& status = sources.canary["status"];
  status["phase"] = "Failed";
  status["steps"][1]["finishedAt"] = "2024-05-01T10:00:20Z";
  status["steps"][1]["result"] = "Failed";
  status["steps"][1]["message"] = "aborted by the user";
  const CanaryView view = build_view(sources, at("2024-05-01T10:01:12Z"));
  EXPECT_EQ(view.steps[1].state, StepState::kFailed);
  EXPECT_EQ(view.steps[1].duration, std::chrono::seconds(8));
  EXPECT_EQ(view.steps[2].state, StepState::kPending);
}

TEST(CanaryView, AnAnalysisNoLongerRunningShowsItsLastMeasurementAndThreshold) {
  const CanaryView view = build_view(testing::waiting_sources(), at("2024-05-01T10:01:12Z"));
  ASSERT_EQ(view.analyses.size(), 1u);
  EXPECT_EQ(view.analyses[0].name, "error-rate");
  EXPECT_EQ(view.analyses[0].passed, 1);
  EXPECT_EQ(view.analyses[0].last_value, 0.004);
  EXPECT_EQ(view.analyses[0].threshold, "<= 0.01, 3 to pass, 1 failure(s) tolerated");
}

TEST(CanaryView, ARunningAnalysisUsesItsTally) {
  CanarySources sources = testing::waiting_sources();
  sources.canary["status"]["analysisRuns"] = json::parse(
      R"([{"analysis": "error-rate", "step": 1, "passed": 2, "failed": 1, "inconclusive": 0, "lastValue": 0.02}])");
  const CanaryView view = build_view(sources, at("2024-05-01T10:01:12Z"));
  ASSERT_EQ(view.analyses.size(), 1u);
  EXPECT_EQ(view.analyses[0].passed, 2);
  EXPECT_EQ(view.analyses[0].failed, 1);
  EXPECT_EQ(view.analyses[0].last_value, 0.02);  // the run's own, not an older step's
}

TEST(CanaryView, HeldWeightsOfEachMeshObject) {
  const auto split = json::parse(R"({"kind": "TrafficSplit", "spec": {"backends": [
      {"service": "web-stable", "weight": 80}, {"service": "web-canary", "weight": 20}]}})");
  EXPECT_EQ(held_weights(split).canary, 20);
  EXPECT_EQ(held_weights(split).stable, 80);
  const auto route = json::parse(R"({"kind": "HTTPRoute", "spec": {"rules": [{"backendRefs": [
      {"name": "web-stable", "port": 80, "weight": 90}, {"name": "web-canary", "port": 80, "weight": 10}]}]}})");
  EXPECT_EQ(held_weights(route).canary, 10);
  const auto virtual_service = json::parse(R"({"kind": "VirtualService", "spec": {"http": [{"route": [
      {"destination": {"host": "web-stable.shop.svc.cluster.local"}, "weight": 75},
      {"destination": {"host": "web-canary"}, "weight": 25}]}]}})");
  EXPECT_EQ(held_weights(virtual_service).stable, 75);
  EXPECT_EQ(held_weights(virtual_service).canary, 25);
}

TEST(CanaryView, AMeshRouterShowsTheObjectHoldingTheWeights) {
  CanarySources sources = testing::waiting_sources();
  sources.canary["status"]["routing"] = {{"router", "smi"}, {"apiVersion", "split.smi-spec.io/v1alpha2"}};
  sources.routing_objects = {json::parse(R"({"kind": "TrafficSplit", "metadata": {"name": "web-autocanary"},
      "spec": {"backends": [{"service": "web-stable", "weight": 80}, {"service": "web-canary", "weight": 20}]}})")};
  const CanaryView view = build_view(sources, at("2024-05-01T10:01:12Z"));
  EXPECT_EQ(view.routing.object, "TrafficSplit web-autocanary");
  EXPECT_EQ(view.routing.canary_weight, 20);
}

TEST(CanaryView, NothingButTheCanaryStillBuilds) {
  CanarySources sources;
  sources.canary = json::parse(R"({"metadata": {"name": "web", "namespace": "shop"}})");
  const CanaryView view = build_view(sources, at("2024-05-01T10:01:12Z"));
  EXPECT_TRUE(view.stable.deployment.empty());
  EXPECT_TRUE(view.steps.empty());
  EXPECT_FALSE(view.routing.canary_weight);
}

}  // namespace
}  // namespace autocanary::cli

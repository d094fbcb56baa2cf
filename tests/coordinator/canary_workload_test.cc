#include "coordinator/canary_workload.h"

#include <gtest/gtest.h>

#include "policy/template_revision.h"
#include "tests/support/fixtures.h"

namespace autocanary::coordinator {
namespace {

using nlohmann::json;

json stable() {
  json deployment = testing::load_json("admission/update-web-image.json")["request"]["oldObject"];
  return deployment;
}

TEST(CanaryWorkloadTest, CanaryDeploymentRunsThePendingTemplateBesideTheStable) {
  const json live = stable();
  json pending = live["spec"]["template"];
  pending["spec"]["containers"][0]["image"] = "registry.example.com/shop/web:2.0.0";
  const json canary = build_canary_deployment(live, pending, "bbbbbbbbbb", 1, 25);

  EXPECT_EQ(canary["metadata"]["name"], "web-canary");
  EXPECT_EQ(canary["metadata"]["namespace"], "shop");
  EXPECT_EQ(canary["metadata"]["ownerReferences"][0]["uid"], live["metadata"]["uid"]);
  EXPECT_EQ(canary["metadata"]["annotations"]["autocanary.io/revision"], "bbbbbbbbbb");
  EXPECT_EQ(canary["spec"]["replicas"], 1);
  EXPECT_EQ(canary["spec"]["minReadySeconds"], kCanaryMinReadySeconds) << "available only after 10 s Ready";
  EXPECT_EQ(canary["spec"]["selector"]["matchLabels"],
            json({{"app", "web"}, {"autocanary.io/track", "canary"}, {"autocanary.io/canary-of", "web"}}));
  // Pod labels keep the app's (the Service selects them) and add the track.
  EXPECT_EQ(canary["spec"]["template"]["metadata"]["labels"]["app"], "web");
  EXPECT_EQ(canary["spec"]["template"]["metadata"]["labels"]["autocanary.io/track"], "canary");
  EXPECT_EQ(canary["spec"]["template"]["spec"], pending["spec"]);
}

TEST(CanaryWorkloadTest, ObservesAnnotationsCanaryAndPods) {
  json deployment = stable();
  deployment["metadata"]["annotations"]["autocanary.io/pending-revision"] = "bbbbbbbbbb";
  deployment["metadata"]["annotations"]["autocanary.io/pending-template"] = "{}";
  deployment["metadata"]["annotations"]["autocanary.io/failed-revision"] = "cccccccccc";
  json canary = build_canary_deployment(deployment, deployment["spec"]["template"], "bbbbbbbbbb", 2, 30);
  canary["status"] = {{"readyReplicas", 1}};
  const json crashing = json::parse(
      R"({"status":{"containerStatuses":[{"restartCount":4,"state":{"waiting":{"reason":"CrashLoopBackOff"}}}]}})");
  const json record = {{"spec", {{"paused", true}}}, {"status", {{"phase", "Paused"}, {"revision", "bbbbbbbbbb"}}}};

  const Observed o = observe(deployment, canary, {crashing}, record);
  EXPECT_EQ(o.deployment, "web");
  EXPECT_EQ(o.stable_replicas, 4);
  EXPECT_EQ(o.live_revision, policy::template_revision(deployment["spec"]["template"]));
  EXPECT_TRUE(o.stable_rolled_out);
  EXPECT_EQ(o.pending_revision, "bbbbbbbbbb");
  EXPECT_EQ(o.failed_revision, "cccccccccc");
  EXPECT_TRUE(o.canary.exists);
  EXPECT_EQ(o.canary.revision, "bbbbbbbbbb");
  EXPECT_EQ(o.canary.replicas, 2);
  EXPECT_EQ(o.canary.ready_replicas, 1);
  EXPECT_EQ(o.canary.restarts, 4);
  EXPECT_TRUE(o.canary.crash_looping);
  EXPECT_TRUE(o.record_exists);
  EXPECT_TRUE(o.requests.paused);
  EXPECT_EQ(o.status.phase, Phase::kPaused);
}

TEST(CanaryWorkloadTest, AUsersDeploymentOfTheCanarysNameIsNotTakenForOurs) {
  const json deployment = stable();
  const json ours = build_canary_deployment(deployment, deployment["spec"]["template"], "bbbbbbbbbb", 1, 10);
  EXPECT_TRUE(is_canary_of(ours, deployment));
  json named_alike = ours;  // the user's own web-canary: same name, no owner
  named_alike["metadata"].erase("ownerReferences");
  EXPECT_FALSE(is_canary_of(named_alike, deployment));
  json copied = ours;  // labels copied from an export, another Deployment's UID
  copied["metadata"]["ownerReferences"][0]["uid"] = "another-uid";
  EXPECT_FALSE(is_canary_of(copied, deployment));

  const Observed o = observe(deployment, named_alike, {}, json());
  EXPECT_TRUE(o.canary.name_taken);
  EXPECT_FALSE(o.canary.exists);
}

TEST(CanaryWorkloadTest, SkipAnnotationOrMissingTemplateMeansNothingPending) {
  json deployment = stable();
  deployment["metadata"]["annotations"]["autocanary.io/pending-revision"] = "bbbbbbbbbb";
  EXPECT_FALSE(observe(deployment, nullptr, {}, nullptr).pending_revision) << "no template to build from";
  deployment["metadata"]["annotations"]["autocanary.io/pending-template"] = "{}";
  deployment["metadata"]["annotations"]["autocanary.io/skip"] = "true";
  EXPECT_FALSE(observe(deployment, nullptr, {}, nullptr).pending_revision);
}

TEST(CanaryWorkloadTest, RolledOutNeedsEveryReplicaUpdatedAndAvailable) {
  json deployment = stable();
  EXPECT_TRUE(rolled_out(deployment));
  deployment["metadata"]["generation"] = 4;
  EXPECT_FALSE(rolled_out(deployment)) << "status not observed yet";
  deployment["status"]["observedGeneration"] = 4;
  deployment["status"]["updatedReplicas"] = 2;
  EXPECT_FALSE(rolled_out(deployment));
}

TEST(CanaryWorkloadTest, ARolloutTheControllerGaveUpOnIsSeenAsStalled) {
  json deployment = stable();
  EXPECT_EQ(observe(deployment, nullptr, {}, nullptr).stable_stalled, "");
  deployment["status"]["conditions"] = json::array(
      {{{"type", "Available"}, {"status", "True"}, {"reason", "MinimumReplicasAvailable"}},
       {{"type", "Progressing"}, {"status", "False"}, {"reason", "ProgressDeadlineExceeded"},
        {"message", "ReplicaSet \"web-5d8f\" has timed out progressing."}}});
  EXPECT_EQ(observe(deployment, nullptr, {}, nullptr).stable_stalled, "ReplicaSet \"web-5d8f\" has timed out progressing.");
  // A newer template than the controller has looked at: its verdict is about the old one.
  deployment["metadata"]["generation"] = deployment["status"].value("observedGeneration", 0) + 1;
  EXPECT_EQ(observe(deployment, nullptr, {}, nullptr).stable_stalled, "");
}

}  // namespace
}  // namespace autocanary::coordinator

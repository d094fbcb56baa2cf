#include "coordinator/event_filter.h"

#include <gtest/gtest.h>

namespace autocanary::coordinator {
namespace {

using nlohmann::json;

// A managed Deployment as the apiserver sends it, idle.
json idle_deployment() {
  return json::parse(R"({
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "shop", "uid": "u1", "resourceVersion": "10", "generation": 3,
                 "labels": {"app": "web", "autocanary.io/managed": "true"},
                 "annotations": {"deployment.kubernetes.io/revision": "2",
                                 "kubectl.kubernetes.io/last-applied-configuration": "{...}",
                                 "autocanary.io/steps": "[{setWeight: 50}, {setWeight: 100}]"},
                 "managedFields": [{"manager": "kubectl"}]},
    "spec": {"replicas": 4, "template": {"spec": {"containers": [{"name": "app", "image": "web:1"}]}}},
    "status": {"observedGeneration": 3, "replicas": 4, "readyReplicas": 4, "availableReplicas": 4}
  })");
}

json projected(json object) {
  project_managed_deployment()(object);
  return object;
}

TEST(EventFilterTest, TheCachedDeploymentKeepsOnlyWhatThePredicatesRead) {
  json deployment = idle_deployment();
  deployment["metadata"]["annotations"]["autocanary.io/pending-revision"] = "abc";
  deployment["metadata"]["annotations"]["autocanary.io/pending-template"] = "{\"spec\": {}}";
  const json cached = projected(deployment);
  EXPECT_EQ(cached["metadata"]["generation"], 3);
  EXPECT_EQ(cached["metadata"]["annotations"],
            json({{"autocanary.io/steps", "[{setWeight: 50}, {setWeight: 100}]"},
                  {"autocanary.io/pending-revision", "abc"}}))
      << "autocanary.io/ annotations, without the template its revision stands for";
  EXPECT_FALSE(cached.contains("spec"));
  EXPECT_FALSE(cached.contains("status"));
  EXPECT_FALSE(cached["metadata"].contains("managedFields"));
}

TEST(EventFilterTest, AStatusUpdateOfADeploymentDoesNotMatterOnItsOwn) {
  json after = idle_deployment();
  after["metadata"]["resourceVersion"] = "11";
  after["status"]["readyReplicas"] = 3;
  after["status"]["conditions"] = json::array({{{"type", "Canary"}, {"status", "True"}}});
  after["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = "3";
  EXPECT_FALSE(deployment_change_matters(projected(idle_deployment()), projected(after)));
}

TEST(EventFilterTest, SpecLabelsOurAnnotationsAndDeletionMatter) {
  const json before = projected(idle_deployment());
  json scaled = idle_deployment();
  scaled["metadata"]["generation"] = 4;
  EXPECT_TRUE(deployment_change_matters(before, projected(scaled)));
  json relabelled = idle_deployment();
  relabelled["metadata"]["labels"]["autocanary.io/managed"] = "false";
  EXPECT_TRUE(deployment_change_matters(before, projected(relabelled)));
  json pending = idle_deployment();
  pending["metadata"]["annotations"]["autocanary.io/pending-revision"] = "abc";
  EXPECT_TRUE(deployment_change_matters(before, projected(pending)));
  json retried = idle_deployment();
  retried["metadata"]["annotations"]["autocanary.io/retry"] = "abc";
  EXPECT_TRUE(deployment_change_matters(before, projected(retried)));
  json deleted = idle_deployment();
  deleted["metadata"]["deletionTimestamp"] = "2026-11-22T10:00:00Z";
  EXPECT_TRUE(deployment_change_matters(before, projected(deleted)));
}

json record(const char* phase, int generation) {
  json object = {{"kind", "Canary"},
                 {"metadata", {{"name", "web"}, {"namespace", "shop"}, {"generation", generation}}},
                 {"spec", {{"abort", ""}}},
                 {"status", {{"phase", phase}, {"message", "…"}}}};
  project_canary_record()(object);
  return object;
}

TEST(EventFilterTest, OnlyTheUsersRequestsOnACanaryMatter) {
  EXPECT_FALSE(record_change_matters(record("Progressing", 1), record("Failed", 1)))
      << "the coordinator's own status write";
  EXPECT_TRUE(record_change_matters(record("Progressing", 1), record("Progressing", 2)))
      << "kubectl autocanary abort writes the spec";
}

TEST(EventFilterTest, ARolloutRunsWhileARevisionIsPendingACanaryIsNotFinalOrACanaryWorkloadExists) {
  const json idle = projected(idle_deployment());
  EXPECT_FALSE(rollout_active(&idle, nullptr, false));
  json pending_object = idle_deployment();
  pending_object["metadata"]["annotations"]["autocanary.io/pending-revision"] = "abc";
  const json pending = projected(pending_object);
  EXPECT_TRUE(rollout_active(&pending, nullptr, false));
  const json promoting = record("Promoting", 1);
  EXPECT_TRUE(rollout_active(&idle, &promoting, false)) << "the promoted template rolling out";
  const json succeeded = record("Succeeded", 1);
  EXPECT_FALSE(rollout_active(&idle, &succeeded, false));
  EXPECT_TRUE(rollout_active(&idle, &succeeded, true)) << "a canary workload left to remove";
  EXPECT_FALSE(rollout_active(nullptr, nullptr, false));
}

}  // namespace
}  // namespace autocanary::coordinator

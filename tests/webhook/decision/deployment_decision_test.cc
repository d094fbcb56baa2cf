#include "webhook/decision/deployment_decision.h"

#include <gtest/gtest.h>

#include "policy/names.h"
#include "policy/template_revision.h"
#include "tests/support/fixtures.h"

namespace autocanary::decision {
namespace {

using nlohmann::json;
using testing::apply_patch;
using testing::input_from_review;
using testing::load_json;

constexpr const char* kPendingRevision = "/metadata/annotations/autocanary.io~1pending-revision";
constexpr const char* kPendingTemplate = "/metadata/annotations/autocanary.io~1pending-template";
constexpr const char* kFailedRevision = "/metadata/annotations/autocanary.io~1failed-revision";

class DeploymentDecisionTest : public ::testing::Test {
 protected:
  WebhookScope scope{"autocanary-system",
                     {"system:serviceaccount:autocanary-system:autocanary"},
                     {"platform-infra"},
                     {}};
  policy::CanaryPolicy policy = policy::builtin_default_policy();

  Decision decide_review(const json& review) const { return decide(input_from_review(review), policy, scope); }

  static json& object_of(json& review) { return review["request"]["object"]; }
  static json& old_of(json& review) { return review["request"]["oldObject"]; }
  static json& image_of(json& deployment, std::size_t container = 0) {
    return deployment["spec"]["template"]["spec"]["containers"][container]["image"];
  }
  static std::string annotation(const json& deployment, const std::string& key) {
    return deployment["metadata"]["annotations"].value(key, "");
  }

  // The stored Deployment after an update was admitted: what the next request's oldObject is.
  json stored_after(json review) const {
    const Decision decision = decide_review(review);
    return apply_patch(object_of(review), decision);
  }
};

// ---- CREATE -----------------------------------------------------------------

TEST_F(DeploymentDecisionTest, CreateIsAllowedAndMarkedManaged) {
  json review = load_json("admission/create-web.json");
  const Decision decision = decide_review(review);

  EXPECT_TRUE(decision.allowed);
  EXPECT_EQ(decision.outcome, Outcome::kMarked);
  EXPECT_EQ(decision.patch.operations(),
            json::parse(R"([{"op":"add","path":"/metadata/labels/autocanary.io~1managed","value":"true"}])"));
  const json stored = apply_patch(object_of(review), decision);
  EXPECT_EQ(stored["metadata"]["labels"]["autocanary.io/managed"], "true");
  EXPECT_EQ(stored["spec"], object_of(review)["spec"]);
}

TEST_F(DeploymentDecisionTest, CreateWithoutLabelsAddsTheLabelMap) {
  json review = load_json("admission/create-web.json");
  object_of(review)["metadata"].erase("labels");
  const Decision decision = decide_review(review);
  EXPECT_EQ(decision.patch.operations(),
            json::parse(R"([{"op":"add","path":"/metadata/labels","value":{"autocanary.io/managed":"true"}}])"));
}

TEST_F(DeploymentDecisionTest, CreateDropsCanaryStateCopiedFromElsewhere) {
  json review = load_json("admission/create-web.json");
  object_of(review)["metadata"]["annotations"]["autocanary.io/pending-revision"] = "0123456789";
  const Decision decision = decide_review(review);
  const json stored = apply_patch(object_of(review), decision);
  EXPECT_FALSE(stored["metadata"]["annotations"].contains("autocanary.io/pending-revision"));
  ASSERT_EQ(decision.warnings.size(), 1U);
  EXPECT_NE(decision.warnings[0].find("autocanary.io/pending-revision"), std::string::npos);
}

// ---- UPDATE of the pod template -----------------------------------------------

TEST_F(DeploymentDecisionTest, ImageChangeKeepsLiveTemplateAndRecordsPendingRevision) {
  json review = load_json("admission/update-web-image.json");
  const json requested_template = object_of(review)["spec"]["template"];
  const std::string revision = policy::template_revision(requested_template);
  const Decision decision = decide_review(review);

  EXPECT_TRUE(decision.allowed);
  EXPECT_EQ(decision.outcome, Outcome::kPendingRecorded);
  const json expected_patch = json::array({
      {{"op", "replace"},
       {"path", "/spec/template/spec/containers/0/image"},
       {"value", "registry.example.com/shop/web:1.0.0"}},
      {{"op", "add"}, {"path", kPendingRevision}, {"value", revision}},
      {{"op", "add"}, {"path", kPendingTemplate}, {"value", requested_template.dump()}},
  });
  EXPECT_EQ(decision.patch.operations(), expected_patch);

  const json stored = apply_patch(object_of(review), decision);
  EXPECT_EQ(stored["spec"]["template"], old_of(review)["spec"]["template"]);
  EXPECT_EQ(annotation(stored, "autocanary.io/pending-revision"), revision);
  EXPECT_EQ(json::parse(annotation(stored, "autocanary.io/pending-template")), requested_template);
  ASSERT_EQ(decision.warnings.size(), 1U);
  EXPECT_NE(decision.warnings[0].find("revision " + revision + " will be rolled out as a canary"),
            std::string::npos);
}

TEST_F(DeploymentDecisionTest, TemplateChangeLeavesEveryOtherFieldAsSent) {
  json review = load_json("admission/update-web-image.json");
  json& sent = object_of(review);
  sent["spec"]["replicas"] = 9;
  sent["spec"]["minReadySeconds"] = 5;
  sent["metadata"]["labels"]["team"] = "checkout";
  sent["metadata"]["annotations"]["owner"] = "alice";
  const Decision decision = decide_review(review);

  json stored = apply_patch(sent, decision);
  EXPECT_EQ(stored["spec"]["template"], old_of(review)["spec"]["template"]);
  // Everything but the template and our annotations is exactly what the user sent.
  stored["spec"].erase("template");
  stored["metadata"]["annotations"].erase("autocanary.io/pending-revision");
  stored["metadata"]["annotations"].erase("autocanary.io/pending-template");
  json expected = sent;
  expected["spec"].erase("template");
  EXPECT_EQ(stored, expected);
}

TEST_F(DeploymentDecisionTest, EnvAndImageChangesInAMultiContainerPodAreOneCanary) {
  json review = load_json("admission/update-api-multicontainer.json");
  ASSERT_FALSE(object_of(review)["spec"]["selector"].contains("matchLabels"));
  const json requested_template = object_of(review)["spec"]["template"];
  const Decision decision = decide_review(review);

  EXPECT_EQ(decision.outcome, Outcome::kPendingRecorded);
  const json expected_patch = json::array({
      {{"op", "remove"}, {"path", "/spec/template/spec/containers/0/env/1"}},
      {{"op", "replace"},
       {"path", "/spec/template/spec/containers/1/image"},
       {"value", "registry.example.com/edge/envoy:1.31"}},
      {{"op", "add"}, {"path", kPendingRevision}, {"value", policy::template_revision(requested_template)}},
      {{"op", "add"}, {"path", kPendingTemplate}, {"value", requested_template.dump()}},
  });
  EXPECT_EQ(decision.patch.operations(), expected_patch);
  const json stored = apply_patch(object_of(review), decision);
  EXPECT_EQ(stored["spec"]["template"], old_of(review)["spec"]["template"]);
  EXPECT_EQ(stored["spec"]["selector"], object_of(review)["spec"]["selector"]);
}

TEST_F(DeploymentDecisionTest, ResourceChangeIsACanary) {
  json review = load_json("admission/update-web-scale.json");
  object_of(review)["spec"]["replicas"] = 4;
  object_of(review)["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] = "512Mi";
  const Decision decision = decide_review(review);
  EXPECT_EQ(decision.outcome, Outcome::kPendingRecorded);
  EXPECT_EQ(apply_patch(object_of(review), decision)["spec"]["template"], old_of(review)["spec"]["template"]);
}

TEST_F(DeploymentDecisionTest, LargeDeploymentGetsAMinimalPatch) {
  json review = load_json("admission/update-catalog-large.json");
  ASSERT_GE(object_of(review).dump().size(), 64U * 1024U);
  const Decision decision = decide_review(review);

  EXPECT_EQ(decision.outcome, Outcome::kPendingRecorded);
  const auto& ops = decision.patch.operations();
  ASSERT_EQ(ops.size(), 4U);
  EXPECT_EQ(ops[0]["path"], "/spec/template/spec/containers/0/env/599/value");
  EXPECT_EQ(ops[1]["path"], "/spec/template/spec/containers/0/image");
  const json stored = apply_patch(object_of(review), decision);
  EXPECT_EQ(stored["spec"]["template"], old_of(review)["spec"]["template"]);
  EXPECT_EQ(json::parse(annotation(stored, "autocanary.io/pending-template")),
            object_of(review)["spec"]["template"]);
}

TEST_F(DeploymentDecisionTest, TemplateTooLargeToHoldIsDeniedWithAWayOut) {
  json review = load_json("admission/update-web-image.json");
  json& env = object_of(review)["spec"]["template"]["spec"]["containers"][0]["env"];
  for (int i = 0; i < 3000; ++i) {
    std::string name = "K";
    name += std::to_string(i);
    env.push_back({{"name", name}, {"value", std::string(90, 'v')}});
  }
  const Decision decision = decide_review(review);

  EXPECT_FALSE(decision.allowed);
  EXPECT_EQ(decision.outcome, Outcome::kDenied);
  EXPECT_TRUE(decision.patch.empty());
  EXPECT_NE(decision.message.find("autocanary.io/skip=true"), std::string::npos);
}

// ---- UPDATE without a template change -----------------------------------------

TEST_F(DeploymentDecisionTest, ScaleOnlyPassesThroughUntouched) {
  json review = load_json("admission/update-web-scale.json");
  const Decision decision = decide_review(review);
  EXPECT_TRUE(decision.allowed);
  EXPECT_EQ(decision.outcome, Outcome::kPassThrough);
  EXPECT_TRUE(decision.patch.empty());
  EXPECT_TRUE(decision.warnings.empty());
}

TEST_F(DeploymentDecisionTest, RelabellingMetadataPassesThroughUntouched) {
  json review = load_json("admission/update-web-scale.json");
  object_of(review)["spec"]["replicas"] = 4;
  object_of(review)["metadata"]["labels"]["tier"] = "frontend";
  object_of(review)["metadata"]["annotations"]["note"] = "hello";
  const Decision decision = decide_review(review);
  EXPECT_EQ(decision.outcome, Outcome::kPassThrough);
  EXPECT_TRUE(decision.patch.empty());
}

TEST_F(DeploymentDecisionTest, NonTemplateSpecChangesPassThroughUntouched) {
  json review = load_json("admission/update-web-scale.json");
  json& spec = object_of(review)["spec"];
  spec["replicas"] = 4;
  spec["strategy"]["rollingUpdate"]["maxSurge"] = 1;
  spec["revisionHistoryLimit"] = 3;
  spec["paused"] = true;
  const Decision decision = decide_review(review);
  EXPECT_EQ(decision.outcome, Outcome::kPassThrough);
  EXPECT_TRUE(decision.patch.empty());
}

TEST_F(DeploymentDecisionTest, DeploymentCreatedBeforeOptInIsAdoptedOnUpdate) {
  json review = load_json("admission/update-web-scale.json");
  old_of(review)["metadata"]["labels"].erase("autocanary.io/managed");
  object_of(review)["metadata"]["labels"].erase("autocanary.io/managed");
  const Decision decision = decide_review(review);
  EXPECT_EQ(decision.outcome, Outcome::kPassThrough);
  EXPECT_EQ(decision.patch.operations(),
            json::parse(R"([{"op":"add","path":"/metadata/labels/autocanary.io~1managed","value":"true"}])"));
}

// ---- idempotency ---------------------------------------------------------------

TEST_F(DeploymentDecisionTest, ReapplyingThePendingRevisionCausesNoChurn) {
  json first = load_json("admission/update-web-image.json");
  const json stored = stored_after(first);

  // `kubectl apply` of v2 again: the live object (v1 + pending v2) with v2's template.
  json again = first;
  old_of(again) = stored;
  object_of(again) = stored;
  object_of(again)["spec"]["template"] = object_of(first)["spec"]["template"];
  const Decision decision = decide_review(again);

  EXPECT_EQ(decision.outcome, Outcome::kPendingUnchanged);
  EXPECT_TRUE(decision.warnings.empty());
  EXPECT_EQ(apply_patch(object_of(again), decision), stored);  // nothing new is stored
}

TEST_F(DeploymentDecisionTest, ReinvocationOnThePatchedObjectAddsNothing) {
  for (const char* fixture : {"admission/create-web.json", "admission/update-web-image.json",
                              "admission/update-api-multicontainer.json",
                              "admission/update-catalog-large.json"}) {
    SCOPED_TRACE(fixture);
    json review = load_json(fixture);
    const json patched = stored_after(review);
    object_of(review) = patched;
    const Decision second = decide_review(review);
    EXPECT_TRUE(second.patch.empty()) << second.patch.operations().dump();
  }
}

TEST_F(DeploymentDecisionTest, AnotherRevisionSupersedesThePendingOne) {
  json first = load_json("admission/update-web-image.json");
  const json stored = stored_after(first);
  const std::string superseded = annotation(stored, "autocanary.io/pending-revision");

  json next = first;
  old_of(next) = stored;
  object_of(next) = stored;
  image_of(object_of(next)) = "registry.example.com/shop/web:3.0.0";
  const json v3_template = object_of(next)["spec"]["template"];
  const Decision decision = decide_review(next);

  EXPECT_EQ(decision.outcome, Outcome::kPendingRecorded);
  const json expected_patch = json::array({
      {{"op", "replace"},
       {"path", "/spec/template/spec/containers/0/image"},
       {"value", "registry.example.com/shop/web:1.0.0"}},
      {{"op", "replace"}, {"path", kPendingRevision}, {"value", policy::template_revision(v3_template)}},
      {{"op", "replace"}, {"path", kPendingTemplate}, {"value", v3_template.dump()}},
  });
  EXPECT_EQ(decision.patch.operations(), expected_patch);
  ASSERT_EQ(decision.warnings.size(), 1U);
  EXPECT_NE(decision.warnings[0].find("supersedes pending revision " + superseded), std::string::npos);
}

// ---- changes during a canary ------------------------------------------------------

class DuringACanaryTest : public DeploymentDecisionTest {
 protected:
  static constexpr const char* kLastApplied = "kubectl.kubernetes.io/last-applied-configuration";
  static json& env_of(json& deployment) { return deployment["spec"]["template"]["spec"]["containers"][0]["env"]; }

  void SetUp() override {
    // v1 live (LOG_LEVEL=info); v2 pending: image 2.0.0 and LOG_LEVEL=debug,
    // applied with `kubectl apply` (last-applied-configuration records v2).
    first = load_json("admission/update-web-image.json");
    env_of(object_of(first))[0]["value"] = "debug";
    object_of(first)["metadata"]["annotations"][kLastApplied] = "{\"v\":2}";
    v2_template = object_of(first)["spec"]["template"];
    stored = stored_after(first);
    live_template = stored["spec"]["template"];
  }

  // A request made on the stored object, as kubectl's imperative verbs send it.
  json on_stored(const std::string& field_manager) const {
    json review = first;
    old_of(review) = stored;
    object_of(review) = stored;
    review["request"]["options"] = {{"kind", "PatchOptions"}, {"fieldManager", field_manager}};
    return review;
  }
  static json pending_template_of(const json& deployment) {
    return json::parse(annotation(deployment, "autocanary.io/pending-template"));
  }

  json first, stored, v2_template, live_template;
};

TEST_F(DuringACanaryTest, SetImageAppliesOnTopOfThePendingTemplateNotTheLiveOne) {
  json review = on_stored("kubectl-set");
  image_of(object_of(review)) = "registry.example.com/shop/web:3.0.0";
  const Decision decision = decide_review(review);
  EXPECT_EQ(decision.outcome, Outcome::kPendingRecorded);
  const json after = apply_patch(object_of(review), decision);
  EXPECT_EQ(after["spec"]["template"], live_template) << "the live pods do not roll";
  json expected = v2_template;
  expected["spec"]["containers"][0]["image"] = "registry.example.com/shop/web:3.0.0";
  EXPECT_EQ(pending_template_of(after), expected) << "LOG_LEVEL=debug of the pending v2 is kept";
  EXPECT_EQ(annotation(after, "autocanary.io/pending-revision"), policy::template_revision(expected));
}

TEST_F(DuringACanaryTest, SetEnvKeepsThePendingImage) {
  json review = on_stored("kubectl-set");
  env_of(object_of(review)).push_back({{"name", "MODE"}, {"value", "new"}});
  const json after = apply_patch(object_of(review), decide_review(review));
  json expected = v2_template;
  expected["spec"]["containers"][0]["env"].push_back({{"name", "MODE"}, {"value", "new"}});
  EXPECT_EQ(pending_template_of(after), expected);
}

TEST_F(DuringACanaryTest, ALabelOrAnnotationChangeLeavesThePendingRevisionAlone) {
  json review = on_stored("kubectl-label");
  object_of(review)["metadata"]["labels"]["team"] = "shop";
  const Decision decision = decide_review(review);
  EXPECT_EQ(decision.outcome, Outcome::kPassThrough);
  EXPECT_TRUE(decision.patch.empty()) << decision.patch.operations().dump();
}

TEST_F(DuringACanaryTest, ApplyingThePreviousManifestRevertsTheCanary) {
  json review = on_stored("kubectl-client-side-apply");
  object_of(review)["metadata"]["annotations"][kLastApplied] = "{\"v\":1}";  // the v1 manifest again
  const Decision decision = decide_review(review);
  EXPECT_EQ(decision.outcome, Outcome::kReverted);
  ASSERT_EQ(decision.warnings.size(), 1U);
  EXPECT_NE(decision.warnings[0].find("is cancelled"), std::string::npos) << decision.warnings[0];
  const json after = apply_patch(object_of(review), decision);
  EXPECT_EQ(after["spec"]["template"], live_template);
  EXPECT_FALSE(after["metadata"]["annotations"].contains("autocanary.io/pending-revision"));
  EXPECT_FALSE(after["metadata"]["annotations"].contains("autocanary.io/pending-template"));
  EXPECT_FALSE(after["metadata"]["annotations"].contains("autocanary.io/failed-revision")) << "not a failure";
}

TEST_F(DuringACanaryTest, AServerSideApplyOfTheLiveTemplateRevertsTheCanary) {
  json review = on_stored("kustomize-controller");
  object_of(review)["metadata"]["managedFields"] =
      json::array({{{"manager", "kustomize-controller"}, {"operation", "Apply"}}});
  EXPECT_EQ(decide_review(review).outcome, Outcome::kReverted);
  // The same object changed by another manager that once applied is not a revert.
  review["request"]["options"]["fieldManager"] = "kubectl-label";
  EXPECT_EQ(decide_review(review).outcome, Outcome::kPassThrough);
}

TEST_F(DuringACanaryTest, RolloutUndoStatesAWholeTemplateAndRestartDoesNot) {
  // `kubectl rollout undo`: an older ReplicaSet's template, taken as written.
  json undo = on_stored("kubectl-rollout");
  image_of(object_of(undo)) = "registry.example.com/shop/web:0.9.0";
  const json older = object_of(undo)["spec"]["template"];
  EXPECT_EQ(pending_template_of(apply_patch(object_of(undo), decide_review(undo))), older);
  // `kubectl rollout restart` (same field manager): the stamp lands on the pending template.
  json restart = on_stored("kubectl-rollout");
  object_of(restart)["spec"]["template"]["metadata"]["annotations"] = {{"kubectl.kubernetes.io/restartedAt", "now"}};
  json expected = v2_template;
  expected["metadata"]["annotations"] = {{"kubectl.kubernetes.io/restartedAt", "now"}};
  EXPECT_EQ(pending_template_of(apply_patch(object_of(restart), decide_review(restart))), expected);
}

TEST_F(DuringACanaryTest, ADeclarativeApplyOfANewManifestIsTakenAsWritten) {
  // The v3 manifest sets LOG_LEVEL back to info: an apply means exactly that,
  // where a merge onto v2 would have kept debug.
  json review = on_stored("kubectl-client-side-apply");
  object_of(review)["metadata"]["annotations"][kLastApplied] = "{\"v\":3}";
  image_of(object_of(review)) = "registry.example.com/shop/web:3.0.0";
  const json v3_template = object_of(review)["spec"]["template"];
  const json after = apply_patch(object_of(review), decide_review(review));
  EXPECT_EQ(pending_template_of(after), v3_template);
}

TEST_F(DeploymentDecisionTest, ARecreateDeploymentRollsAsUsualWithAWarning) {
  json review = load_json("admission/update-web-image.json");
  object_of(review)["spec"]["strategy"] = {{"type", "Recreate"}};
  const Decision decision = decide_review(review);
  EXPECT_EQ(decision.outcome, Outcome::kRecreate);
  EXPECT_TRUE(decision.patch.empty()) << "the template is stored as sent: the Deployment rolls";
  ASSERT_EQ(decision.warnings.size(), 1U);
  EXPECT_NE(decision.warnings[0].find("strategy Recreate"), std::string::npos);
  object_of(review)["spec"]["template"] = old_of(review)["spec"]["template"];
  EXPECT_TRUE(decide_review(review).warnings.empty()) << "no template change, nothing to say";
}

TEST_F(DeploymentDecisionTest, ARecreateDeploymentIsACanaryWhereThePolicyOptsItIn) {
  policy.recreate_handling = policy::RecreateHandling::kCanary;
  json review = load_json("admission/update-web-image.json");
  object_of(review)["spec"]["strategy"] = {{"type", "Recreate"}};
  const Decision decision = decide_review(review);
  EXPECT_EQ(decision.outcome, Outcome::kPendingRecorded);
  for (const auto& warning : decision.warnings) EXPECT_EQ(warning.find("Recreate"), std::string::npos) << warning;
}

TEST_F(DeploymentDecisionTest, AnExportedRecordOfTheLiveRevisionDoesNotReArmIt) {
  // `kubectl get -o yaml` taken while v2 was pending, applied again after v2
  // was promoted: its pending record names what is now the live revision.
  json review = load_json("admission/update-web-image.json");
  old_of(review) = object_of(review);  // v2 is live
  const json v2_template = object_of(review)["spec"]["template"];
  object_of(review)["metadata"]["annotations"]["autocanary.io/pending-revision"] =
      policy::template_revision(v2_template);
  object_of(review)["metadata"]["annotations"]["autocanary.io/pending-template"] = v2_template.dump();
  const Decision decision = decide_review(review);
  const json after = apply_patch(object_of(review), decision);
  EXPECT_FALSE(after["metadata"]["annotations"].contains("autocanary.io/pending-revision"));
  EXPECT_FALSE(after["metadata"]["annotations"].contains("autocanary.io/pending-template"));
  EXPECT_FALSE(decision.warnings.empty()) << "the user is told the copied state was dropped";
}

// ---- failed revisions and retry -----------------------------------------------

class FailedRevisionTest : public DeploymentDecisionTest {
 protected:
  // The live Deployment after the coordinator aborted the canary of v2.
  json failed_state() const {
    json stored = stored_after(load_json("admission/update-web-image.json"));
    stored["metadata"]["annotations"]["autocanary.io/failed-revision"] =
        annotation(stored, "autocanary.io/pending-revision");
    return stored;
  }
};

TEST_F(FailedRevisionTest, FailedRevisionAppliedAgainIsHeldWithARetryHint) {
  const json stored = failed_state();
  const std::string failed = annotation(stored, "autocanary.io/failed-revision");
  json review = load_json("admission/update-web-image.json");
  old_of(review) = stored;
  object_of(review) = stored;
  image_of(object_of(review)) = "registry.example.com/shop/web:2.0.0";
  const Decision decision = decide_review(review);

  EXPECT_TRUE(decision.allowed);
  EXPECT_EQ(decision.outcome, Outcome::kHeldFailed);
  EXPECT_EQ(apply_patch(object_of(review), decision), stored);
  ASSERT_EQ(decision.warnings.size(), 1U);
  EXPECT_NE(decision.warnings[0].find("kubectl annotate deployment/web autocanary.io/retry=" + failed),
            std::string::npos)
      << decision.warnings[0];
}

TEST_F(FailedRevisionTest, RetryAnnotationClearsTheFailedMark) {
  const json stored = failed_state();
  json review = load_json("admission/update-web-scale.json");
  old_of(review) = stored;
  object_of(review) = stored;
  object_of(review)["metadata"]["annotations"]["autocanary.io/retry"] =
      annotation(stored, "autocanary.io/failed-revision");
  const Decision decision = decide_review(review);

  EXPECT_EQ(decision.outcome, Outcome::kRetryRequested);
  // The request itself stays until the coordinator has restarted the canary.
  EXPECT_EQ(decision.patch.operations(),
            json::parse(std::string(R"([{"op":"remove","path":")") + kFailedRevision + R"("}])"));
  const json after = apply_patch(object_of(review), decision);
  EXPECT_EQ(annotation(after, "autocanary.io/pending-revision"), annotation(stored, "autocanary.io/pending-revision"));
}

TEST_F(FailedRevisionTest, ReinvocationAfterHoldOrRetryAddsNothing) {
  const json stored = failed_state();
  json held = load_json("admission/update-web-image.json");
  old_of(held) = stored;
  object_of(held) = stored;
  image_of(object_of(held)) = "registry.example.com/shop/web:2.0.0";

  json retry = load_json("admission/update-web-scale.json");
  old_of(retry) = stored;
  object_of(retry) = stored;
  object_of(retry)["metadata"]["annotations"]["autocanary.io/retry"] = "true";

  for (json* review : {&held, &retry}) {
    object_of(*review) = stored_after(*review);
    const Decision second = decide_review(*review);
    EXPECT_TRUE(second.patch.empty()) << second.patch.operations().dump();
  }
}

TEST_F(FailedRevisionTest, AnAcknowledgedRetryRequestIsNotRepeated) {
  json stored = failed_state();
  stored["metadata"]["annotations"]["autocanary.io/retry"] = annotation(stored, "autocanary.io/failed-revision");
  json review = load_json("admission/update-web-scale.json");
  old_of(review) = stored;
  object_of(review) = stored;
  const Decision decision = decide_review(review);
  EXPECT_EQ(decision.outcome, Outcome::kPassThrough);
  EXPECT_TRUE(decision.patch.empty());
}

TEST_F(FailedRevisionTest, RetryNamingAnotherRevisionRetriesNothing) {
  const json stored = failed_state();
  json review = load_json("admission/update-web-scale.json");
  old_of(review) = stored;
  object_of(review) = stored;
  object_of(review)["metadata"]["annotations"]["autocanary.io/retry"] = "ffffffffff";
  const Decision decision = decide_review(review);

  EXPECT_EQ(decision.outcome, Outcome::kPassThrough);
  const json after = apply_patch(object_of(review), decision);
  EXPECT_EQ(after, stored);  // retry request removed, failed mark kept
  ASSERT_EQ(decision.warnings.size(), 1U);
  EXPECT_NE(decision.warnings[0].find("nothing retried"), std::string::npos);
}

TEST_F(DeploymentDecisionTest, RetryWithoutAFailureIsRemovedWithAWarning) {
  json review = load_json("admission/update-web-scale.json");
  object_of(review)["metadata"]["annotations"]["autocanary.io/retry"] = "true";
  const Decision decision = decide_review(review);
  EXPECT_EQ(decision.patch.operations(),
            json::parse(R"([{"op":"remove","path":"/metadata/annotations/autocanary.io~1retry"}])"));
  ASSERT_EQ(decision.warnings.size(), 1U);
  EXPECT_NE(decision.warnings[0].find("no revision has failed"), std::string::npos);
}

TEST_F(FailedRevisionTest, UserEditsOfCanaryStateAreReverted) {
  const json stored = failed_state();
  json review = load_json("admission/update-web-scale.json");
  old_of(review) = stored;
  object_of(review) = stored;
  // `kubectl replace` with the original manifest drops every annotation we keep.
  object_of(review)["metadata"]["annotations"] = json::object();
  const Decision decision = decide_review(review);

  EXPECT_EQ(decision.outcome, Outcome::kPassThrough);
  EXPECT_EQ(apply_patch(object_of(review), decision)["metadata"]["annotations"],
            json({{"autocanary.io/failed-revision", annotation(stored, "autocanary.io/failed-revision")},
                  {"autocanary.io/pending-revision", annotation(stored, "autocanary.io/pending-revision")},
                  {"autocanary.io/pending-template", annotation(stored, "autocanary.io/pending-template")}}));
  EXPECT_EQ(decision.warnings.size(), 3U);
}

// ---- who and where ----------------------------------------------------------------

TEST_F(DeploymentDecisionTest, CoordinatorUpdatesPassThrough) {
  json review = load_json("admission/update-web-image.json");
  review["request"]["userInfo"]["username"] = "system:serviceaccount:autocanary-system:autocanary";
  const Decision decision = decide_review(review);
  EXPECT_EQ(decision.outcome, Outcome::kCoordinator);
  EXPECT_TRUE(decision.patch.empty());
}

TEST_F(DeploymentDecisionTest, OptOutAnnotationLetsTheTemplateRoll) {
  json review = load_json("admission/update-web-image.json");
  object_of(review)["metadata"]["annotations"]["autocanary.io/skip"] = "true";
  const Decision decision = decide_review(review);
  EXPECT_EQ(decision.outcome, Outcome::kOptedOut);
  EXPECT_TRUE(decision.patch.empty());
}

TEST_F(DeploymentDecisionTest, OtherKindsAndSubresourcesAreNotApplicable) {
  json review = load_json("admission/update-web-image.json");
  AdmissionInput input = input_from_review(review);
  input.is_deployment = false;
  const Decision decision = decide(input, policy, scope);
  EXPECT_EQ(decision.outcome, Outcome::kNotApplicable);
  EXPECT_TRUE(decision.patch.empty());
}

TEST_F(DeploymentDecisionTest, DeleteIsNotApplicable) {
  json review = load_json("admission/update-web-image.json");
  review["request"]["operation"] = "DELETE";
  review["request"]["object"] = nullptr;
  const Decision decision = decide_review(review);
  EXPECT_EQ(decision.outcome, Outcome::kNotApplicable);
  EXPECT_TRUE(decision.allowed);
  EXPECT_TRUE(decision.patch.empty());
}

TEST_F(DeploymentDecisionTest, ProtectedNamespacesAreNeverMutated) {
  for (const char* ns : {"kube-system", "kube-public", "kube-node-lease", "autocanary-system", "platform-infra"}) {
    SCOPED_TRACE(ns);
    json review = load_json("admission/update-web-image.json");
    review["request"]["namespace"] = ns;
    const Decision decision = decide_review(review);
    EXPECT_EQ(decision.outcome, Outcome::kProtectedNamespace);
    EXPECT_TRUE(decision.patch.empty());
    EXPECT_TRUE(decision.allowed);
  }
}

TEST_F(DeploymentDecisionTest, DryRunGetsTheSameAnswer) {
  json review = load_json("admission/update-web-image.json");
  const Decision real = decide_review(review);
  review["request"]["dryRun"] = true;
  const Decision dry = decide_review(review);
  EXPECT_EQ(dry.outcome, real.outcome);
  EXPECT_EQ(dry.patch.operations(), real.patch.operations());
}

// ---- kubectl rollout restart ------------------------------------------------------

TEST_F(DeploymentDecisionTest, RolloutRestartIsACanaryByDefault) {
  json review = load_json("admission/update-web-scale.json");
  object_of(review)["spec"]["replicas"] = 4;
  object_of(review)["spec"]["template"]["metadata"]["annotations"] = {
      {"kubectl.kubernetes.io/restartedAt", "2026-11-22T10:00:00Z"}};
  const Decision decision = decide_review(review);
  EXPECT_EQ(decision.outcome, Outcome::kPendingRecorded);
  EXPECT_EQ(decision.patch.operations()[0],
            json::parse(R"({"op":"remove","path":"/spec/template/metadata/annotations"})"));
}

TEST_F(DeploymentDecisionTest, RolloutRestartRollsWhenThePolicySaysSo) {
  policy.restart_handling = policy::RestartHandling::kRollout;
  json review = load_json("admission/update-web-scale.json");
  object_of(review)["spec"]["template"]["metadata"]["annotations"] = {
      {"kubectl.kubernetes.io/restartedAt", "2026-11-22T10:00:00Z"}};
  const Decision decision = decide_review(review);
  EXPECT_EQ(decision.outcome, Outcome::kRolloutRestart);
  EXPECT_TRUE(decision.patch.empty());

  // A restart together with a real change is still a canary.
  image_of(object_of(review)) = "registry.example.com/shop/web:2.0.0";
  EXPECT_EQ(decide_review(review).outcome, Outcome::kPendingRecorded);
}

// ---- unusable objects ----------------------------------------------------------------

TEST_F(DeploymentDecisionTest, DeploymentWithoutTemplateIsLeftForTheApiserver) {
  json review = load_json("admission/update-web-image.json");
  object_of(review)["spec"].erase("template");
  const Decision decision = decide_review(review);
  EXPECT_TRUE(decision.allowed);
  EXPECT_EQ(decision.outcome, Outcome::kInvalidObject);
  EXPECT_TRUE(decision.patch.empty());
  EXPECT_NE(decision.message.find("spec.template"), std::string::npos);
}

TEST_F(DeploymentDecisionTest, ObjectOfTheWrongKindIsLeftUnchanged) {
  json review = load_json("admission/update-web-image.json");
  object_of(review)["kind"] = "Pod";
  const Decision decision = decide_review(review);
  EXPECT_EQ(decision.outcome, Outcome::kInvalidObject);
  EXPECT_NE(decision.message.find("Pod"), std::string::npos);
  EXPECT_TRUE(decision.patch.empty());
}

TEST_F(DeploymentDecisionTest, UpdateWithoutOldObjectIsLeftUnchanged) {
  json review = load_json("admission/update-web-image.json");
  review["request"]["oldObject"] = nullptr;
  const Decision decision = decide_review(review);
  EXPECT_EQ(decision.outcome, Outcome::kInvalidObject);
  EXPECT_TRUE(decision.patch.empty());
}

}  // namespace
}  // namespace autocanary::decision

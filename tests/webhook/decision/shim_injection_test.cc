#include "webhook/decision/shim_injection.h"

#include <gtest/gtest.h>

#include "policy/template_revision.h"
#include "tests/support/fixtures.h"
#include "webhook/decision/deployment_decision.h"

namespace autocanary::decision {
namespace {

using nlohmann::json;
using policy::ShimInjection;

const ShimSettings kShim{"registry.example.com/autocanary/shim:0.1.0", 17021};

json pod(const char* containers) {
  return {{"metadata", {{"labels", {{"app", "web"}}}}}, {"spec", {{"containers", json::parse(containers)}}}};
}

const json& shim_of(const json& pod_template) {
  const json& init = pod_template["spec"]["initContainers"];
  EXPECT_EQ(init.size(), 1U);
  return init.back();
}

TEST(ShimInjectionTest, NativeSidecarProbingTheDeclaredPorts) {
  const json injected = with_shim(pod(R"([{"name":"web","image":"w:1","ports":[{"containerPort":8080}]}])"), kShim,
                                  ShimInjection::kWhenNoProbe);
  const json& shim = shim_of(injected);
  EXPECT_EQ(shim["name"], "autocanary-shim");
  EXPECT_EQ(shim["image"], kShim.image);
  EXPECT_EQ(shim["restartPolicy"], "Always");
  EXPECT_EQ(shim["args"], json({"--port", "17021"}));
  EXPECT_EQ(json::parse(shim["env"][0]["value"].get<std::string>()),
            json::parse(R"([{"tcpSocket":{"port":8080}}])"));
  EXPECT_EQ(shim["readinessProbe"]["httpGet"], json({{"path", "/ready"}, {"port", 17021}}));
  EXPECT_EQ(shim["readinessProbe"]["failureThreshold"], 2) << "one lost probe is tolerated";
  EXPECT_EQ(shim["securityContext"]["seccompProfile"], json({{"type", "RuntimeDefault"}}));
  EXPECT_EQ(shim["securityContext"]["runAsNonRoot"], true);
  EXPECT_EQ(shim["securityContext"]["readOnlyRootFilesystem"], true);
  EXPECT_EQ(shim["securityContext"]["allowPrivilegeEscalation"], false);
  EXPECT_EQ(shim["securityContext"]["capabilities"]["drop"], json({"ALL"}));
  EXPECT_TRUE(shim["resources"].contains("limits"));
  EXPECT_FALSE(shim.contains("command")) << "the image's entry point: the shim without TLS";
  EXPECT_EQ(injected["spec"]["containers"], pod(R"([{"name":"web","image":"w:1","ports":[{"containerPort":8080}]}])")["spec"]["containers"]);
}

TEST(ShimInjectionTest, AnAppWithAReadinessProbeKeepsItUnlessThePolicySaysAlways) {
  const json with_probe = pod(R"([{"name":"web","image":"w:1","ports":[{"containerPort":8080}],
      "readinessProbe":{"httpGet":{"path":"/healthz","port":8080},"periodSeconds":5}}])");
  EXPECT_EQ(with_shim(with_probe, kShim, ShimInjection::kWhenNoProbe), with_probe);
  const json injected = with_shim(with_probe, kShim, ShimInjection::kAlways);
  const json& shim = shim_of(injected);
  EXPECT_EQ(json::parse(shim["env"][0]["value"].get<std::string>()),
            json::parse(R"([{"httpGet":{"path":"/healthz","port":8080},"periodSeconds":5}])"))
      << "the app's own probe definition is copied";
}

TEST(ShimInjectionTest, EveryAppContainerIsProbed) {
  const json injected = with_shim(pod(R"([
      {"name":"api","image":"a:1","ports":[{"containerPort":9000},{"containerPort":9001,"protocol":"UDP"}]},
      {"name":"proxy","image":"p:1","readinessProbe":{"tcpSocket":{"port":8443}}},
      {"name":"logs","image":"l:1"}])"),
                                  kShim, ShimInjection::kAlways);
  const json& shim = shim_of(injected);
  EXPECT_EQ(json::parse(shim["env"][0]["value"].get<std::string>()),
            json::parse(R"([{"tcpSocket":{"port":9000}},{"tcpSocket":{"port":8443}}])"));
}

TEST(ShimInjectionTest, AnHttpsProbeStartsTheShimBuiltWithTls) {
  const json https = pod(R"([{"name":"web","image":"w:1","ports":[{"containerPort":8080}],
      "readinessProbe":{"httpGet":{"path":"/ready","port":8443,"scheme":"HTTPS"}}},
      {"name":"side","image":"s:1","ports":[{"containerPort":9000}]}])");
  EXPECT_EQ(shim_of(with_shim(https, kShim, ShimInjection::kAlways))["command"], json({"/autocanary-shim-tls"}));

  const json http = pod(R"([{"name":"web","image":"w:1",
      "readinessProbe":{"httpGet":{"path":"/ready","port":8080,"scheme":"HTTP"}}}])");
  EXPECT_FALSE(shim_of(with_shim(http, kShim, ShimInjection::kAlways)).contains("command"));
}

TEST(ShimInjectionTest, InjectingTwiceChangesNothing) {
  const json once = with_shim(pod(R"([{"name":"web","image":"w:1","ports":[{"containerPort":8080}]}])"), kShim,
                              ShimInjection::kAlways);
  EXPECT_EQ(with_shim(once, kShim, ShimInjection::kAlways), once);
  EXPECT_TRUE(has_shim(once));
}

TEST(ShimInjectionTest, ThePortNeverCollidesWithTheApps) {
  const json injected = with_shim(pod(R"([
      {"name":"web","image":"w:1","ports":[{"containerPort":17021},{"containerPort":17022}]}])"),
                                  kShim, ShimInjection::kAlways);
  const json& shim = shim_of(injected);
  EXPECT_EQ(shim["ports"][0]["containerPort"], 17023);
  EXPECT_EQ(shim["args"], json({"--port", "17023"}));
  EXPECT_EQ(shim["readinessProbe"]["httpGet"]["port"], 17023);
}

TEST(ShimInjectionTest, ThePortKeepsClearOfAMeshSidecarsUndeclaredPorts) {
  // Configured on Istio's health port (the old default), the shim moves past
  // every port Istio's proxy listens on.
  const json injected = with_shim(pod(R"([{"name":"web","image":"w:1","ports":[{"containerPort":8080}]}])"),
                                  ShimSettings{kShim.image, 15020}, ShimInjection::kAlways);
  EXPECT_EQ(shim_of(injected)["ports"][0]["containerPort"], 15022);
}

TEST(ShimInjectionTest, NothingIsInjectedWhenItCannotHelp) {
  const json portless = pod(R"([{"name":"worker","image":"w:1"}])");
  EXPECT_EQ(with_shim(portless, kShim, ShimInjection::kAlways), portless) << "nothing to probe";
  const json served = pod(R"([{"name":"web","image":"w:1","ports":[{"containerPort":8080}]}])");
  EXPECT_EQ(with_shim(served, kShim, ShimInjection::kNever), served);
  EXPECT_EQ(with_shim(served, ShimSettings{}, ShimInjection::kAlways), served) << "no shim image configured";
}

// The decision core injects into the requested template, so the canary runs the
// shim and the stable gets it on promotion; the live pods are not touched.
class InjectingDecisionTest : public ::testing::Test {
 protected:
  WebhookScope scope{"autocanary-system", {}, {}, kShim};
  policy::CanaryPolicy policy = [] {
    auto p = policy::builtin_default_policy();
    p.shim_injection = ShimInjection::kAlways;
    return p;
  }();
  Decision decide_review(const json& review) const {
    return decide(testing::input_from_review(review), policy, scope);
  }
};

TEST_F(InjectingDecisionTest, ThePendingRevisionCarriesTheShimExactlyOnce) {
  json review = testing::load_json("admission/update-web-image.json");
  const Decision decision = decide_review(review);
  ASSERT_EQ(decision.outcome, Outcome::kPendingRecorded);
  const json stored = review["request"]["object"].patch(decision.patch.operations());
  EXPECT_EQ(stored["spec"]["template"], review["request"]["oldObject"]["spec"]["template"]) << "live pods untouched";
  const json pending = json::parse(stored["metadata"]["annotations"]["autocanary.io/pending-template"].get<std::string>());
  EXPECT_EQ(pending["spec"]["initContainers"].size(), 1U);
  EXPECT_EQ(pending["spec"]["initContainers"][0]["name"], "autocanary-shim");
  EXPECT_EQ(stored["metadata"]["annotations"]["autocanary.io/pending-revision"], policy::template_revision(pending));

  // The same manifest again is the same revision.
  json again = review;
  again["request"]["oldObject"] = stored;
  again["request"]["object"] = stored;
  again["request"]["object"]["spec"]["template"] = review["request"]["object"]["spec"]["template"];
  EXPECT_EQ(decide_review(again).outcome, Outcome::kPendingUnchanged);
}

TEST_F(InjectingDecisionTest, APromotedTemplateWithTheShimMatchesItsManifestWithout) {
  json review = testing::load_json("admission/update-web-scale.json");
  json& live = review["request"]["oldObject"];
  live["spec"]["template"] = with_shim(live["spec"]["template"], kShim, ShimInjection::kAlways);
  review["request"]["object"]["spec"]["replicas"] = 4;  // the manifest, as applied, has no shim
  const Decision decision = decide_review(review);
  EXPECT_EQ(decision.outcome, Outcome::kPassThrough);
  const json stored = review["request"]["object"].patch(decision.patch.operations());
  EXPECT_EQ(stored["spec"]["template"], live["spec"]["template"]) << "the shim stays; no canary of the same app";
}

}  // namespace
}  // namespace autocanary::decision

namespace autocanary::decision {
namespace {

TEST(ShimInjectionRevisionTest, RevisionsLeaveTheShimOutEvenOnceTheApiserverDefaultedIt) {
  const json app = pod(R"([{"name":"web","image":"w:1","ports":[{"containerPort":8080}]}])");
  json injected = with_shim(app, kShim, ShimInjection::kAlways);
  EXPECT_EQ(policy::template_revision(injected), policy::template_revision(app));
  // What a stored Deployment holds after promotion: the shim with defaults filled in.
  injected["spec"]["initContainers"][0]["imagePullPolicy"] = "IfNotPresent";
  injected["spec"]["initContainers"][0]["terminationMessagePath"] = "/dev/termination-log";
  EXPECT_EQ(policy::template_revision(injected), policy::template_revision(app));
  EXPECT_EQ(without_shim(injected), app);
}

}  // namespace
}  // namespace autocanary::decision

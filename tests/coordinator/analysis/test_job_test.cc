#include "coordinator/analysis/test_job.h"

#include <gtest/gtest.h>

#include "tests/coordinator/analysis/web_context.h"

#include <map>

namespace autocanary::analysis {
namespace {

using namespace std::chrono_literals;
using Kind = Measurement::Kind;
using nlohmann::json;

AnalysisContext web() { return web_context("smoke"); }

policy::TestDefinition smoke() {
  policy::TestDefinition test;
  test.name = "smoke";
  test.job_template = json::parse(R"({
    "metadata": {"labels": {"team": "shop"}, "annotations": {"note": "kept"}, "name": "ignored"},
    "spec": {"backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never", "containers": [
      {"name": "curl", "image": "curl", "env": [{"name": "AUTOCANARY_CANARY", "value": "mine"}]}]}}}})");
  return test;
}

// Jobs by name; counts creations.
class JobsClient final : public kube::KubeClient {
 public:
  std::map<std::string, json> jobs;
  int creations = 0;
  kube::Result<json> get(const kube::ResourceRef& ref) override {
    const auto found = jobs.find(ref.name);
    if (found == jobs.end()) return kube::KubeError{404, "NotFound", ref.name, false};
    return found->second;
  }
  kube::Result<kube::ObjectList> list(const kube::ResourceRef&, const kube::ListOptions&) override {
    return kube::ObjectList{};
  }
  kube::Result<json> create(const kube::ResourceRef& ref, const json& object) override {
    EXPECT_EQ(ref.group, "batch");
    EXPECT_EQ(ref.resource, "jobs");
    ++creations;
    json stored = object;
    stored["metadata"]["uid"] = "uid-" + std::to_string(creations);
    return jobs[object["metadata"]["name"].get<std::string>()] = stored;
  }
  kube::Result<json> update(const kube::ResourceRef&, const json& object) override { return object; }
  kube::Result<json> patch(const kube::ResourceRef& ref, const json& patch, const kube::PatchOptions&) override {
    json& job = jobs.at(ref.name);
    job.merge_patch(patch);
    return job;
  }
  kube::Result<json> remove(const kube::ResourceRef&, const kube::DeleteOptions&) override { return json(); }
  kube::Result<void> watch(const kube::ResourceRef&, const kube::WatchOptions&, const kube::WatchHandler&,
                           std::stop_token) override {
    return {};
  }
};

TEST(TestJobTest, NameIsFixedByRolloutStepAndTest) {
  EXPECT_EQ(test_job_name(web()), "web-smoke-bbbbbbbbbb-2");
  AnalysisContext long_name = web();
  long_name.deployment = std::string(60, 'd');
  const std::string name = test_job_name(long_name);
  EXPECT_EQ(name.size(), 63U);
  EXPECT_EQ(name, test_job_name(long_name)) << "stable";
  long_name.step_index = 3;
  EXPECT_NE(test_job_name(long_name), name);
}

TEST(TestJobTest, JobComesFromTheTemplateWithOurLabelsOwnerAndEnvironment) {
  const json job = build_test_job(smoke(), web());
  EXPECT_EQ(job["apiVersion"], "batch/v1");
  EXPECT_EQ(job["metadata"]["name"], "web-smoke-bbbbbbbbbb-2");
  EXPECT_EQ(job["metadata"]["namespace"], "shop");
  EXPECT_EQ(job["metadata"]["labels"], json::parse(R"({"team": "shop", "autocanary.io/canary-of": "web",
              "autocanary.io/revision": "bbbbbbbbbb", "autocanary.io/test": "smoke"})"));
  EXPECT_EQ(job["metadata"]["annotations"]["note"], "kept");
  EXPECT_EQ(job["metadata"]["ownerReferences"][0]["uid"], "uid-web");
  EXPECT_EQ(job["spec"]["backoffLimit"], 0);
  const json& env = job["spec"]["template"]["spec"]["containers"][0]["env"];
  const auto value_of = [&](const char* name) {
    for (const auto& entry : env)
      if (entry["name"] == name) return entry["value"].get<std::string>();
    return std::string("<unset>");
  };
  EXPECT_EQ(value_of("AUTOCANARY_CANARY"), "mine") << "the template's own value wins";
  EXPECT_EQ(value_of("AUTOCANARY_NAMESPACE"), "shop");
  EXPECT_EQ(value_of("AUTOCANARY_REVISION"), "bbbbbbbbbb");
  EXPECT_EQ(value_of("AUTOCANARY_STABLE_REVISION"), "aaaaaaaaaa");
}

TEST(TestJobTest, ConditionsDecide) {
  json job = {{"metadata", {{"name", "web-smoke-bbbbbbbbbb-2"}, {"namespace", "shop"}}}};
  const Measurement running = read_test_job(job);
  EXPECT_EQ(running.kind, Kind::kRunning);
  EXPECT_EQ(running.resource, "web-smoke-bbbbbbbbbb-2");
  job["status"]["conditions"] = json::parse(R"([{"type": "Complete", "status": "True"}])");
  const Measurement passed = read_test_job(job);
  EXPECT_EQ(passed.kind, Kind::kPassed);
  EXPECT_EQ(passed.message,
            "Job web-smoke-bbbbbbbbbb-2 completed; logs: kubectl logs -n shop job/web-smoke-bbbbbbbbbb-2");
  job["status"]["conditions"] = json::parse(
      R"([{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}])");
  const Measurement failed = read_test_job(job);
  EXPECT_EQ(failed.kind, Kind::kFailed);
  EXPECT_EQ(failed.message.substr(0, 99),
            "Job web-smoke-bbbbbbbbbb-2 failed (BackoffLimitExceeded): Job has reached the specified backoff lim");
}

// A stand-in for the coordinator's keyed MAC.
std::string sign(std::string_view message) { return "mac(" + std::string(message) + ")"; }

json opted_in(const json& annotations = json::object()) {
  return {{"metadata", {{"name", "shop"}, {"labels", {{"autocanary.io/enabled", "true"}}}, {"annotations", annotations}}}};
}

// "shop" has opted in, with `annotations`.
policy::ServedNamespaces serving_shop(json annotations = json::object()) {
  return {[annotations](const std::string& name) { return name == "shop" ? opted_in(annotations) : json(); },
          "autocanary-system"};
}

json job_running_as(const std::string& account) {
  json job = {{"spec", {{"template", {{"spec", json::object()}}}}}};
  if (!account.empty()) job["spec"]["template"]["spec"]["serviceAccountName"] = account;
  return job;
}

TEST(TestJobTest, OnlyTheNamespacesDefaultServiceAccountUnlessItAllowsMore) {
  const auto shop = serving_shop();
  EXPECT_EQ(test_job_refusal(job_running_as(""), "shop", shop), std::nullopt);
  EXPECT_EQ(test_job_refusal(job_running_as("default"), "shop", shop), std::nullopt);
  const auto refused = test_job_refusal(job_running_as("deployer"), "shop", shop);
  ASSERT_TRUE(refused);
  EXPECT_EQ(*refused,
            "the test's Job would run as service account \"deployer\", which namespace \"shop\" does not allow for "
            "tests (autocanary.io/test-service-accounts: default)");

  const auto allowing = serving_shop({{"autocanary.io/test-service-accounts", "smoke-tester, load-tester"}});
  EXPECT_EQ(test_job_refusal(job_running_as("load-tester"), "shop", allowing), std::nullopt);
  EXPECT_TRUE(test_job_refusal(job_running_as(""), "shop", allowing)) << "the list replaces default";
  json both = job_running_as("load-tester");
  both["spec"]["template"]["spec"]["serviceAccount"] = "deployer";
  EXPECT_TRUE(test_job_refusal(both, "shop", allowing)) << "the older field must be allowed as well";
}

TEST(TestJobTest, NoJobWhereAutocanaryDoesNotServe) {
  const auto shop = serving_shop();
  for (const char* ns : {"other", "kube-system", "autocanary-system"}) {
    const auto refused = test_job_refusal(job_running_as(""), ns, shop);
    ASSERT_TRUE(refused) << ns;
    EXPECT_NE(refused->find("no test Job is created where autocanary does not serve"), std::string::npos);
  }
}

TEST(TestJobTest, ARefusedJobFailsTheTestAndIsNeverCreated) {
  JobsClient client;
  policy::TestDefinition test = smoke();
  test.job_template["spec"]["template"]["spec"]["serviceAccountName"] = "cluster-admin-ish";
  TestJobProvider provider(client, test, sign, serving_shop());
  const Measurement measured = provider.measure(web(), {});
  EXPECT_EQ(measured.kind, Kind::kFailed);
  EXPECT_NE(measured.message.find("service account \"cluster-admin-ish\""), std::string::npos) << measured.message;
  EXPECT_EQ(client.creations, 0);
}

TEST(TestJobTest, TheFirstLookCreatesTheJobLaterOnesReadIt) {
  JobsClient client;
  TestJobProvider provider(client, smoke(), sign, serving_shop());
  EXPECT_EQ(provider.measure(web(), {}).kind, Kind::kRunning);
  EXPECT_EQ(provider.measure(web(), {}).kind, Kind::kRunning);
  EXPECT_EQ(client.creations, 1);
  client.jobs["web-smoke-bbbbbbbbbb-2"]["status"]["conditions"] =
      json::parse(R"([{"type": "Complete", "status": "True"}])");
  EXPECT_EQ(provider.measure(web(), {}).kind, Kind::kPassed);
  EXPECT_EQ(client.jobs["web-smoke-bbbbbbbbbb-2"]["metadata"]["annotations"]["autocanary.io/seal"],
            "mac(job:shop/web-smoke-bbbbbbbbbb-2/uid-1)")
      << "sealed right after it was created, over its UID";
}

TEST(TestJobTest, AJobOfTheSameNameMadeBySomeoneElseNeverPasses) {
  JobsClient client;
  // Made first, complete, even carrying the seal of another Job (its UID differs).
  client.jobs["web-smoke-bbbbbbbbbb-2"] = json::parse(R"json({"metadata": {"name": "web-smoke-bbbbbbbbbb-2",
      "namespace": "shop", "uid": "theirs", "annotations": {"autocanary.io/seal":
      "mac(job:shop/web-smoke-bbbbbbbbbb-2/uid-1)"}}, "status": {"conditions": [{"type": "Complete", "status": "True"}]}})json");
  TestJobProvider provider(client, smoke(), sign, serving_shop());
  const Measurement measured = provider.measure(web(), {});
  EXPECT_EQ(measured.kind, Kind::kError);
  EXPECT_NE(measured.message.find("autocanary did not create for this test"), std::string::npos) << measured.message;
  EXPECT_EQ(client.creations, 0) << "and it is neither replaced nor changed";
}

}  // namespace
}  // namespace autocanary::analysis

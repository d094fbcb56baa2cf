// The reconciler against an in-memory stand-in for the API: what it reads,
// what it writes and in which order. The real apiserver is in tests/e2e.
#include "coordinator/reconciler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>

#include "coordinator/measurement_report.h"
#include "coordinator/traffic/pod_ratio_router.h"
#include "policy/policy_parser.h"
#include "policy/template_revision.h"
#include "tests/support/fixtures.h"

namespace autocanary::coordinator {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const std::string kSealKey = "a key only the coordinator holds";

// Objects by "resource/namespace/name"; records every write as "verb resource/name".
class MemoryKubeClient final : public kube::KubeClient {
 public:
  std::map<std::string, json> objects;
  std::vector<std::string> writes;

  static std::string key(const kube::ResourceRef& ref, const std::string& name) {
    return ref.resource + "/" + ref.namespace_name + "/" + name;
  }
  kube::Result<json> get(const kube::ResourceRef& ref) override {
    const auto found = objects.find(key(ref, ref.name));
    if (found == objects.end()) return kube::KubeError{404, "NotFound", ref.name, false};
    return found->second;
  }
  kube::Result<kube::ObjectList> list(const kube::ResourceRef&, const kube::ListOptions&) override {
    return kube::ObjectList{};
  }
  kube::Result<json> create(const kube::ResourceRef& ref, const json& object) override {
    std::string name = object["metadata"].value("name", "");
    if (name.empty()) name = object["metadata"].value("generateName", "") + std::to_string(writes.size());
    writes.push_back("create " + ref.resource + "/" + name);
    json stored = object;
    stored["metadata"]["name"] = name;
    stored["metadata"]["uid"] = "uid-" + name;
    return objects[key(ref, name)] = stored;
  }
  bool fail_status_updates = false;
  kube::Result<json> update(const kube::ResourceRef& ref, const json& object) override {
    if (fail_status_updates && ref.subresource == "status")
      return kube::KubeError{500, "InternalError", "the test fails it", true};
    writes.push_back("update " + ref.resource + "/" + ref.name + (ref.subresource.empty() ? "" : "/" + ref.subresource));
    return objects[key(ref, ref.name)] = object;
  }
  kube::Result<json> patch(const kube::ResourceRef& ref, const json& patch,
                           const kube::PatchOptions& options) override {
    writes.push_back("patch " + ref.resource + "/" + ref.name + (ref.subresource.empty() ? "" : "/" + ref.subresource));
    json& object = objects[key(ref, ref.name)];
    if (options.type == kube::PatchType::kJson) {
      object = object.patch(patch);
    } else {
      object.merge_patch(patch);
    }
    return object;
  }
  kube::Result<json> remove(const kube::ResourceRef& ref, const kube::DeleteOptions&) override {
    writes.push_back("delete " + ref.resource + "/" + ref.name);
    objects.erase(key(ref, ref.name));
    return json::object();
  }
  kube::Result<void> watch(const kube::ResourceRef&, const kube::WatchOptions&, const kube::WatchHandler&,
                           std::stop_token) override {
    return {};
  }
};

// Every provider it builds answers `next` and remembers what it was asked.
class FakeProviders final : public analysis::ProviderFactory {
 public:
  analysis::Measurement next{analysis::Measurement::Kind::kValue, 0.002, "", ""};
  std::vector<analysis::AnalysisContext> seen;

  std::unique_ptr<analysis::AnalysisProvider> analysis(const policy::AnalysisDefinition&) override {
    return std::make_unique<Provider>(*this);
  }
  std::unique_ptr<analysis::AnalysisProvider> test(const policy::TestDefinition&) override {
    return std::make_unique<Provider>(*this);
  }

 private:
  class Provider final : public analysis::AnalysisProvider {
   public:
    explicit Provider(FakeProviders& owner) : owner_(owner) {}
    analysis::Measurement measure(const analysis::AnalysisContext& context, std::stop_token) override {
      owner_.seen.push_back(context);
      return owner_.next;
    }

   private:
    FakeProviders& owner_;
  };
};

class ReconcilerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    json deployment = testing::load_json("admission/update-web-image.json")["request"]["oldObject"];
    json pending = deployment["spec"]["template"];
    pending["spec"]["containers"][0]["image"] = "registry.example.com/shop/web:2.0.0";
    revision = policy::template_revision(pending);
    deployment["metadata"]["annotations"]["autocanary.io/pending-revision"] = revision;
    deployment["metadata"]["annotations"]["autocanary.io/pending-template"] = pending.dump();
    client.objects["deployments/shop/web"] = deployment;
    policy.steps = {policy::SetWeightStep{25}, policy::AnalysisStep{{"error-rate"}}, policy::SetWeightStep{100}};
    policy::AnalysisDefinition errors;
    errors.name = "error-rate";
    errors.query = "sum(rate(errors[1m]))";
    errors.max = 0.01;
    policy.analyses = {errors};
  }

  ReconcileResult pass() { return pass_with(measurements); }

  ReconcileResult pass_with(analysis::MeasurementExecutor& executor) {
    Reconciler reconciler(client, routers, providers, executor,
                          [this](const json&) { return policy::ResolvedPolicy{policy, "default", {}, {}}; },
                          [this] { return now; }, logger, metrics, &flaps, PolicySeal(kSealKey), served);
    return reconciler.reconcile("shop", "web");
  }

  // The canary's pods become Ready, as the cluster would make them.
  void canary_ready() {
    json& canary = client.objects.at("deployments/shop/web-canary");
    canary["status"] = {{"readyReplicas", canary["spec"]["replicas"]},
                        {"replicas", canary["spec"]["replicas"]},
                        {"observedGeneration", 0}};
  }

  MemoryKubeClient client;
  traffic::Routers routers{client};
  policy::CanaryPolicy policy;
  FakeProviders providers;
  std::FILE* log_file = std::tmpfile();
  common::Logger logger{common::LogLevel::kError, log_file};
  common::MetricsRegistry registry;
  CoordinatorMetrics metrics{registry};
  ReadinessFlaps flaps;
  common::SystemTime now = *common::parse_rfc3339("2026-11-22T10:00:00Z");
  // Measures inside the pass, so that one pass measures and records.
  analysis::MeasurementExecutor measurements{
      0, [this] { return now; },
      [this](const analysis::MeasurementKey& key, const analysis::MeasurementRecord& record,
             std::chrono::duration<double> took) { report_measurement(metrics, logger, key, record, took); }};
  std::string revision;
  // Every namespace has opted in, unless a test says otherwise.
  policy::ServedNamespaces served{
      [](const std::string& name) {
        return json{{"metadata", {{"name", name}, {"labels", {{"autocanary.io/enabled", "true"}}}}}};
      },
      "autocanary-system"};
};

TEST_F(ReconcilerTest, ADeploymentWhereAutocanaryDoesNotServeIsNeverRolledAndReportedOnce) {
  served.listed = [](const std::string&) { return json(); };  // "shop" has not opted in
  Reconciler reconciler(client, routers, providers, measurements,
                        [this](const json&) { return policy::ResolvedPolicy{policy, "default", {}, {}}; },
                        [this] { return now; }, logger, metrics, &flaps, PolicySeal(kSealKey), served);
  ASSERT_TRUE(reconciler.reconcile("shop", "web").ok);
  ASSERT_TRUE(reconciler.reconcile("shop", "web").ok);
  ASSERT_EQ(client.writes.size(), 1U) << "no canary, no record, no routing: one Event";
  EXPECT_TRUE(client.writes[0].starts_with("create events/"));
  for (const auto& [key, object] : client.objects)
    if (key.starts_with("events/")) {
      EXPECT_EQ(object["reason"], "NamespaceNotServed");
      EXPECT_EQ(object["message"],
                "autocanary ignores this Deployment: namespace \"shop\" has not opted in (label "
                "autocanary.io/enabled=true)");
    }
}

TEST_F(ReconcilerTest, StartsTheCanaryAndRecordsIt) {
  ASSERT_TRUE(pass().ok);
  const json& canary = client.objects.at("deployments/shop/web-canary");
  EXPECT_EQ(canary["metadata"]["annotations"]["autocanary.io/revision"], revision);
  EXPECT_EQ(canary["spec"]["template"]["spec"]["containers"][0]["image"], "registry.example.com/shop/web:2.0.0");
  const json& record = client.objects.at("canaries/shop/web");
  EXPECT_EQ(record["status"]["revision"], revision);
  EXPECT_EQ(record["status"]["canaryWeight"], 25);
  EXPECT_EQ(client.objects.at("deployments/shop/web")["status"]["conditions"][0]["type"], "Canary");
}

// The step the canary is in, from its record.
int current_step(const MemoryKubeClient& client) {
  return client.objects.at("canaries/shop/web")["status"]["currentStep"].get<int>();
}

TEST_F(ReconcilerTest, MeasurementsAreTakenWhenDueAndKeptInTheStatus) {
  policy.analyses[0].count = 2;
  policy.analyses[0].interval = 30s;
  ASSERT_TRUE(pass().ok);
  canary_ready();
  ASSERT_TRUE(pass().ok);
  EXPECT_EQ(current_step(client), 1);
  EXPECT_TRUE(providers.seen.empty()) << "the step opened in this pass; the next one measures";

  ASSERT_TRUE(pass().ok);
  ASSERT_EQ(providers.seen.size(), 1U);
  EXPECT_EQ(providers.seen[0].revision, revision);
  EXPECT_EQ(providers.seen[0].canary_deployment, "web-canary");
  EXPECT_EQ(providers.seen[0].analysis, "error-rate");
  EXPECT_EQ(providers.seen[0].step_index, 1);
  const json& status = client.objects.at("canaries/shop/web")["status"];
  EXPECT_EQ(status["measurements"][0]["value"], 0.002);
  EXPECT_EQ(status["measurements"][0]["outcome"], "Passed");
  EXPECT_EQ(status["analysisRuns"][0]["passed"], 1);
  EXPECT_EQ(status["message"], "error-rate: 1 of 2 passed; last: 0.002 is at most 0.01");
  EXPECT_EQ(metrics.measurements.value({"error-rate", "Passed"}), 1);
  EXPECT_EQ(metrics.last_value.value({"shop", "web", "error-rate"}), 0.002);

  // Within the interval nothing is measured, by this or a restarted coordinator
  // (every pass here builds a new Reconciler: the schedule is in the status).
  now += 10s;
  ASSERT_TRUE(pass().ok);
  EXPECT_EQ(providers.seen.size(), 1U);
  now += 20s;
  ASSERT_TRUE(pass().ok);
  EXPECT_EQ(providers.seen.size(), 2U);
  EXPECT_EQ(client.objects.at("canaries/shop/web")["status"]["measurements"].size(), 2U);
  EXPECT_GE(current_step(client), 2) << "two passing measurements pass the step";
}

TEST_F(ReconcilerTest, AFailedMeasurementAbortsWeightZeroFirst) {
  ASSERT_TRUE(pass().ok);
  canary_ready();
  ASSERT_TRUE(pass().ok);
  providers.next = {analysis::Measurement::Kind::kValue, 0.05, "", ""};
  client.writes.clear();
  ASSERT_TRUE(pass().ok);
  ASSERT_GE(client.writes.size(), 3U);
  EXPECT_EQ(client.writes[0], "patch deployments/web-canary");
  EXPECT_EQ(client.writes[1], "patch deployments/web");
  EXPECT_NE(std::find(client.writes.begin() + 2, client.writes.end(), "update canaries/web/status"),
            client.writes.end());
  EXPECT_EQ(client.objects.at("deployments/shop/web-canary")["spec"]["replicas"], 0);
  EXPECT_EQ(client.objects.at("deployments/shop/web")["metadata"]["annotations"]["autocanary.io/failed-revision"],
            revision);
  const json& status = client.objects.at("canaries/shop/web")["status"];
  EXPECT_EQ(status["message"], "revision " + revision +
                                   " aborted: error-rate: 1 failed measurement (0 tolerated); last: 0.05 is not at "
                                   "most 0.01");
  EXPECT_EQ(status["measurements"][0]["value"], 0.05);
  EXPECT_EQ(metrics.abort_to_zero_seconds.count(), 1U);
}

TEST_F(ReconcilerTest, AnUnmeasurableAnalysisIsReportedThenFailsAtItsLimit) {
  policy.analyses[0].inconclusive_limit = 1;
  policy.analyses[0].interval = 1s;
  providers.next = {analysis::Measurement::Kind::kError, 0, "cannot reach Prometheus: Connection", ""};
  ASSERT_TRUE(pass().ok);
  canary_ready();
  ASSERT_TRUE(pass().ok);
  ASSERT_TRUE(pass().ok);
  const json* status = &client.objects.at("canaries/shop/web")["status"];
  EXPECT_EQ((*status)["phase"], "Progressing");
  EXPECT_EQ((*status)["message"],
            "error-rate: 0 of 1 passed, 1 inconclusive; last: cannot reach Prometheus: Connection");
  EXPECT_EQ((*status)["measurements"][0]["error"], true);
  const auto warned = std::count_if(client.objects.begin(), client.objects.end(), [](const auto& entry) {
    return entry.first.starts_with("events/") && entry.second["reason"] == "AnalysisError" &&
           entry.second["type"] == "Warning";
  });
  EXPECT_EQ(warned, 1);

  now += 1s;
  ASSERT_TRUE(pass().ok);
  status = &client.objects.at("canaries/shop/web")["status"];
  EXPECT_EQ((*status)["phase"], "Aborting");
  EXPECT_EQ((*status)["message"], "revision " + revision +
                                      " aborted: error-rate: 2 inconclusive measurements (1 tolerated); last: cannot "
                                      "reach Prometheus: Connection");
}

TEST_F(ReconcilerTest, AnAnalysisThePolicyDoesNotDefineFailsTheStep) {
  policy.analyses.clear();
  ASSERT_TRUE(pass().ok);
  canary_ready();
  ASSERT_TRUE(pass().ok);
  ASSERT_TRUE(pass().ok);
  EXPECT_EQ(client.objects.at("canaries/shop/web")["status"]["message"],
            "revision " + revision + " aborted: error-rate: not defined in the policy");
}

TEST_F(ReconcilerTest, ARunningRolloutKeepsThePolicyItStartedWith) {
  ASSERT_TRUE(pass().ok);
  const json recorded = client.objects.at("canaries/shop/web")["status"]["policy"];
  EXPECT_EQ(recorded["name"], "default");
  EXPECT_EQ(recorded["spec"]["steps"][0], json({{"setWeight", 25}}));

  policy.steps = {policy::SetWeightStep{10}, policy::SetWeightStep{100}};  // the default changes
  canary_ready();
  ASSERT_TRUE(pass().ok);
  const json& status = client.objects.at("canaries/shop/web")["status"];
  EXPECT_EQ(status["policy"], recorded);
  EXPECT_EQ(status["stepDescription"], "analysis error-rate") << "still the recorded steps";
}

TEST_F(ReconcilerTest, AForgedPolicyRecordIsNotFollowed) {
  ASSERT_TRUE(pass().ok);
  json& status = client.objects.at("canaries/shop/web")["status"];
  EXPECT_TRUE(PolicySeal(kSealKey).verify("shop", "web", revision, status["policy"]["spec"],
                                          status["policy"]["seal"].get<std::string>()))
      << "the record carries the coordinator's seal";

  // Whoever may write canaries/status swaps in a gate of their own, keeping
  // the seal (or writing any other).
  json forged = status["policy"];
  forged["spec"]["analyses"] = json::array({{{"name", "error-rate"},
                                             {"httpGate", {{"url", "http://attacker.example:8080/"},
                                                           {"bearerTokenFile",
                                                            "/var/run/secrets/kubernetes.io/serviceaccount/token"}}}}});
  status["policy"] = forged;
  canary_ready();
  ASSERT_TRUE(pass().ok);
  const json& after = client.objects.at("canaries/shop/web")["status"];
  EXPECT_EQ(after["policy"]["spec"], policy::policy_to_json(policy)) << "the policy in force, recorded again";
  EXPECT_TRUE(PolicySeal(kSealKey).verify("shop", "web", revision, after["policy"]["spec"],
                                          after["policy"]["seal"].get<std::string>()));
  EXPECT_TRUE(std::any_of(client.writes.begin(), client.writes.end(),
                          [](const std::string& w) { return w.starts_with("create events/"); }));
  bool warned = false;
  for (const auto& [key, object] : client.objects)
    if (key.starts_with("events/") && object.value("reason", "") == "PolicyRecordRejected") warned = true;
  EXPECT_TRUE(warned) << "a Warning Event says the record was rejected";
}

TEST(PolicySealTest, ASealCoversTheDeploymentTheRevisionAndThePolicy) {
  const PolicySeal seal(kSealKey);
  const json spec = {{"steps", json::array({{{"setWeight", 50}}})}};
  const std::string made = seal.seal("shop", "web", "abc", spec);
  EXPECT_TRUE(seal.verify("shop", "web", "abc", spec, made));
  EXPECT_FALSE(seal.verify("shop", "api", "abc", spec, made));
  EXPECT_FALSE(seal.verify("shop", "web", "abd", spec, made));
  EXPECT_FALSE(seal.verify("shop", "web", "abc", {{"steps", json::array({{{"setWeight", 51}}})}}, made));
  EXPECT_FALSE(PolicySeal("another key of enough bytes").verify("shop", "web", "abc", spec, made));
  EXPECT_FALSE(seal.verify("shop", "web", "abc", spec, ""));
  EXPECT_NE(seal.seal("sh", "opweb", "abc", spec), made) << "parts are length-prefixed";
  EXPECT_THROW(PolicySeal("short"), std::invalid_argument);
  // The apiserver writes a whole float back as an integer: the seal survives it.
  const json with_float = {{"max", 1.0}, {"min", 0.5}};
  EXPECT_TRUE(seal.verify("shop", "web", "abc", json::parse(R"({"max":1,"min":0.5})"),
                          seal.seal("shop", "web", "abc", with_float)));
}

TEST_F(ReconcilerTest, CanaryPodsLosingReadinessFailPodHealth) {
  policy.steps = {policy::SetWeightStep{25}, policy::AnalysisStep{{"pod-health"}}, policy::SetWeightStep{100}};
  ASSERT_TRUE(pass().ok);
  const json labels = client.objects.at("deployments/shop/web-canary")["spec"]["template"]["metadata"]["labels"];
  EXPECT_EQ(labels["autocanary.io/revision"], revision);
  const auto pod = [&](const char* ready) {
    return json{{"metadata", {{"namespace", "shop"}, {"labels", labels}}},
                {"status", {{"conditions", json::array({{{"type", "Ready"}, {"status", ready}}})}}}};
  };
  const int tolerated = policy.pod_health.max_readiness_flaps;
  for (int i = 0; i <= tolerated; ++i) flaps.observe(pod("True"), pod("False"));
  flaps.observe(pod("False"), pod("False"));  // not a transition
  EXPECT_EQ(flaps.count("shop", "web", revision), tolerated + 1);
  EXPECT_EQ(flaps.count("shop", "web", "another-revision"), 0);

  canary_ready();
  ASSERT_TRUE(pass().ok);
  EXPECT_EQ(client.objects.at("canaries/shop/web")["status"]["message"],
            "revision " + revision + " aborted: pod-health: canary pods lost readiness 3 times (2 tolerated)");
}

// A provider that answers only once the test lets it: a Prometheus that stalls.
class StalledProviders final : public analysis::ProviderFactory {
 public:
  std::unique_ptr<analysis::AnalysisProvider> analysis(const policy::AnalysisDefinition&) override {
    return std::make_unique<Provider>(*this);
  }
  std::unique_ptr<analysis::AnalysisProvider> test(const policy::TestDefinition&) override {
    return std::make_unique<Provider>(*this);
  }
  void answer(analysis::Measurement measurement) {
    const std::lock_guard lock(mutex);
    answer_ = measurement;
    changed.notify_all();
  }
  std::mutex mutex;
  std::condition_variable changed;
  int asked = 0;

 private:
  class Provider final : public analysis::AnalysisProvider {
   public:
    explicit Provider(StalledProviders& owner) : owner_(owner) {}
    analysis::Measurement measure(const analysis::AnalysisContext&, std::stop_token) override {
      std::unique_lock lock(owner_.mutex);
      ++owner_.asked;
      owner_.changed.notify_all();
      owner_.changed.wait(lock, [&] { return owner_.answer_.has_value(); });
      return *owner_.answer_;
    }

   private:
    StalledProviders& owner_;
  };
  std::optional<analysis::Measurement> answer_;
};

TEST_F(ReconcilerTest, AMeasurementUnderWayHoldsNoPassAndItsResultWakesTheRollout) {
  StalledProviders stalled;
  std::mutex woken_mutex;
  std::condition_variable woken_changed;
  std::vector<std::string> woken;
  analysis::MeasurementExecutor executor(
      1, [this] { return now; },
      [&](const analysis::MeasurementKey& key, const analysis::MeasurementRecord&, std::chrono::duration<double>) {
        const std::lock_guard lock(woken_mutex);
        woken.push_back(key.rollout);
        woken_changed.notify_all();
      });
  const auto stalled_pass = [&] {
    Reconciler reconciler(client, routers, stalled, executor,
                          [this](const json&) { return policy::ResolvedPolicy{policy, "default", {}, {}}; },
                          [this] { return now; }, logger, metrics, &flaps, PolicySeal(kSealKey), served);
    return reconciler.reconcile("shop", "web");
  };
  ASSERT_TRUE(stalled_pass().ok);
  canary_ready();
  ASSERT_TRUE(stalled_pass().ok);  // opens the analysis step

  const ReconcileResult started = stalled_pass();
  ASSERT_TRUE(started.ok) << "the pass ended while its measurement is under way";
  EXPECT_FALSE(started.requeue_after) << "the result wakes the rollout; no polling meanwhile";
  {
    std::unique_lock lock(stalled.mutex);
    stalled.changed.wait(lock, [&] { return stalled.asked == 1; });
  }
  const ReconcileResult again = stalled_pass();
  ASSERT_TRUE(again.ok);
  EXPECT_FALSE(again.requeue_after);
  EXPECT_EQ(stalled.asked, 1) << "one measurement of a check at a time";
  EXPECT_EQ(client.objects.at("canaries/shop/web")["status"].value("measurements", json::array()).size(), 0U);

  stalled.answer({analysis::Measurement::Kind::kValue, 0.05, "", ""});
  {
    std::unique_lock lock(woken_mutex);
    woken_changed.wait(lock, [&] { return !woken.empty(); });
  }
  EXPECT_EQ(woken, std::vector<std::string>{"shop/web"});
  ASSERT_TRUE(stalled_pass().ok);
  const json& status = client.objects.at("canaries/shop/web")["status"];
  EXPECT_EQ(status["measurements"][0]["value"], 0.05);
  EXPECT_EQ(status["phase"], "Aborting") << "the pass after the result judges it";
  EXPECT_EQ(client.objects.at("deployments/shop/web-canary")["spec"]["replicas"], 0);
  EXPECT_EQ(stalled.asked, 1);
}

TEST_F(ReconcilerTest, AResultTakenByAPassThatCouldNotRecordItIsTakenAgain) {
  policy.analyses[0].count = 2;
  ASSERT_TRUE(pass().ok);
  canary_ready();
  ASSERT_TRUE(pass().ok);
  analysis::MeasurementExecutor executor(0, [this] { return now; }, nullptr);
  analysis::MeasurementRecord waiting;
  waiting.analysis = "error-rate";
  waiting.revision = revision;
  waiting.step = 1;
  waiting.outcome = analysis::Outcome::kPassed;
  waiting.value = 0.002;
  waiting.measured_at = common::format_rfc3339_millis(now);
  executor.give_back("shop/web", {waiting});  // finished since the last pass
  client.fail_status_updates = true;  // the pass cannot write the status
  EXPECT_FALSE(pass_with(executor).ok);
  client.fail_status_updates = false;
  const auto kept = executor.take("shop/web");
  ASSERT_EQ(kept.size(), 1U) << "given back for the next pass";
  executor.give_back("shop/web", kept);
  ASSERT_TRUE(pass_with(executor).ok);
  EXPECT_EQ(client.objects.at("canaries/shop/web")["status"]["measurements"][0]["value"], 0.002);
  EXPECT_EQ(client.objects.at("canaries/shop/web")["status"]["analysisRuns"][0]["passed"], 1);
  EXPECT_TRUE(executor.take("shop/web").empty()) << "recorded, so no longer kept";
}

TEST_F(ReconcilerTest, DeletedDeploymentNeedsNothing) {
  client.objects.clear();
  const ReconcileResult result = pass();
  EXPECT_TRUE(result.ok);
  EXPECT_TRUE(client.writes.empty());
}

}  // namespace
}  // namespace autocanary::coordinator

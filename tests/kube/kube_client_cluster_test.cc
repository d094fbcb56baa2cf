// HttpKubeClient and Informer against a real kube-apiserver. KUBECONFIG must name a
// running cluster (tests/cluster/up.sh; tests/e2e/test_kube_client.py runs this).
// Everything happens in a namespace and a CustomResourceDefinition of this run,
// both deleted at the end.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <set>
#include <string_view>
#include <thread>

#include "certs/certified_key.h"
#include "certs/generate.h"
#include "common/json_fields.h"
#include "kube/http_kube_client.h"
#include "kube/informer.h"
#include "kube/resources.h"
#include "tests/support/test_cluster.h"

namespace autocanary::kube {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const ResourceRef kNamespaces = namespaces();
const ResourceRef kCrds{"apiextensions.k8s.io", "v1", "customresourcedefinitions", "", "", ""};
constexpr const char* kProbeGroup = "kubeclienttest.autocanary.io";

// Shared by every test: the client, the namespace and the custom resource of this run.
class Cluster : public ::testing::Environment {
 public:
  void SetUp() override {
    auto loaded = testing::test_cluster_config("tests/e2e/test_kube_client.py");
    if (auto* error = std::get_if<std::string>(&loaded)) GTEST_FAIL() << *error;
    config = std::get<KubeConfig>(loaded);
    client = make_client(config);
    ASSERT_NE(client, nullptr);

    namespace_name = "kube-client-test-" + testing::test_run_suffix();
    auto created = client->create(kNamespaces, {{"apiVersion", "v1"},
                                                {"kind", "Namespace"},
                                                {"metadata", {{"name", namespace_name}}}});
    ASSERT_TRUE(created) << created.error().describe();
    create_probe_crd();
  }

  void TearDown() override {
    if (!client) return;
    if (!namespace_name.empty()) (void)client->remove(kNamespaces.named(namespace_name), {});
    if (probe_crd_created) (void)client->remove(kCrds.named(probe_crd_name()), {});
  }

  std::unique_ptr<HttpKubeClient> make_client(const KubeConfig& with) {
    HttpKubeClientOptions options;
    options.field_manager = "autocanary-cluster-test";
    return testing::test_cluster_client(with, options, logger);
  }

  static std::string probe_crd_name() { return std::string("probes.") + kProbeGroup; }
  [[nodiscard]] ResourceRef configmaps() const {
    return {"", "v1", "configmaps", namespace_name, "", ""};
  }
  [[nodiscard]] ResourceRef deployments() const {
    return kube::deployments(namespace_name);
  }
  [[nodiscard]] ResourceRef probes() const {
    return {kProbeGroup, "v1", "probes", namespace_name, "", ""};
  }

  common::Logger logger{common::LogLevel::kWarn};
  KubeConfig config;
  std::unique_ptr<HttpKubeClient> client;
  std::string namespace_name;
  bool probe_crd_created = false;

 private:
  // A resource whose watch cache starts at this run's resourceVersion, so that a
  // watch from version "1" is always too old: the apiserver answers 410 Expired.
  void create_probe_crd() {
    const std::string name = probe_crd_name();
    const json any_object = {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}};
    const json open_schema = {{"openAPIV3Schema", any_object}};
    const json crd = {
        {"apiVersion", "apiextensions.k8s.io/v1"},
        {"kind", "CustomResourceDefinition"},
        {"metadata", {{"name", name}}},
        {"spec",
         {{"group", kProbeGroup},
          {"scope", "Namespaced"},
          {"names", {{"plural", "probes"}, {"singular", "probe"}, {"kind", "Probe"}}},
          {"versions",
           json::array({{{"name", "v1"}, {"served", true}, {"storage", true},
                         {"schema", open_schema}}})}}}};
    auto created = client->create(kCrds, crd);
    if (!created && created.error().is_already_exists()) {
      // Left over by an interrupted run; this run owns it now and deletes it.
      created = client->get(kCrds.named(name));
    }
    ASSERT_TRUE(created) << created.error().describe();
    probe_crd_created = true;

    // Established is reported through the CRD's status: watch it rather than poll.
    bool established = false;
    for (int attempt = 0; attempt < 3 && !established; ++attempt) {
      WatchOptions options;
      options.timeout = 20s;
      const auto watched = client->watch(
          kCrds.named(name), options,
          [&established](WatchEvent&& event) {
            const json* conditions = common::child(common::child(&event.object, "status"), "conditions");
            if (conditions != nullptr && conditions->is_array()) {
              for (const auto& condition : *conditions)
                if (common::string_field(&condition, "type") == "Established" &&
                    common::string_field(&condition, "status") == "True")
                  established = true;
            }
            return !established;
          },
          {});
      ASSERT_TRUE(watched) << watched.error().describe();
    }
    ASSERT_TRUE(established) << "CRD " << name << " did not become Established";
  }
};

Cluster* cluster = nullptr;

const json kNone = json::object();

json config_map(const std::string& name, const json& labels = kNone, const json& data = kNone) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"labels", labels}}},
          {"data", data}};
}

json probe(const std::string& name, const std::string& phase) {
  return {{"apiVersion", std::string(kProbeGroup) + "/v1"},
          {"kind", "Probe"},
          {"metadata", {{"name", name}}},
          {"spec", {{"phase", phase}}}};
}

json deployment(const std::string& name) {
  return json::parse(R"({
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": ")" + name + R"("},
    "spec": {
      "replicas": 0,
      "selector": {"matchLabels": {"app": ")" + name + R"("}},
      "template": {
        "metadata": {"labels": {"app": ")" + name + R"("}},
        "spec": {"containers": [
          {"name": "app", "image": "registry.example.com/web:1.0.0"},
          {"name": "log", "image": "registry.example.com/log:1.0.0"}]}}}})");
}

std::string rv(const json& object) { return common::metadata_string(object, "resourceVersion"); }

template <typename Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return predicate();
}

class KubeClientClusterTest : public ::testing::Test {
 protected:
  HttpKubeClient& client = *cluster->client;
};

TEST_F(KubeClientClusterTest, CreateGetAndListAcrossPages) {
  const ResourceRef configmaps = cluster->configmaps();
  for (int i = 0; i < 5; ++i) {
    const std::string index = std::to_string(i);
    const auto created = client.create(
        configmaps, config_map("page-" + index, {{"suite", "pagination"}}, {{"index", index}}));
    ASSERT_TRUE(created) << created.error().describe();
    EXPECT_FALSE(common::metadata_string(*created, "uid").empty());
  }

  const auto fetched = client.get(configmaps.named("page-2"));
  ASSERT_TRUE(fetched) << fetched.error().describe();
  EXPECT_EQ((*fetched)["data"]["index"], "2");

  ListOptions options;
  options.label_selector = "suite=pagination";
  options.page_size = 2;
  const auto listed = client.list(configmaps, options);
  ASSERT_TRUE(listed) << listed.error().describe();
  ASSERT_EQ(listed->items.size(), 5u) << "three pages of at most two";
  std::set<std::string> names;
  for (const auto& item : listed->items) {
    names.insert(common::metadata_string(item, "name"));
    EXPECT_EQ(item["kind"], "ConfigMap");
    EXPECT_EQ(item["apiVersion"], "v1");
  }
  EXPECT_EQ(names, (std::set<std::string>{"page-0", "page-1", "page-2", "page-3", "page-4"}));
  EXPECT_FALSE(listed->resource_version.empty());

  options.field_selector = "metadata.name=page-3";
  const auto one = client.list(configmaps, options);
  ASSERT_TRUE(one) << one.error().describe();
  ASSERT_EQ(one->items.size(), 1u);

  const auto missing = client.get(configmaps.named("no-such-map"));
  ASSERT_FALSE(missing);
  EXPECT_TRUE(missing.error().is_not_found());
  EXPECT_EQ(missing.error().reason, "NotFound");

  const auto duplicate = client.create(configmaps, config_map("page-0"));
  ASSERT_FALSE(duplicate);
  EXPECT_TRUE(duplicate.error().is_already_exists());
  EXPECT_FALSE(duplicate.error().is_conflict());
}

TEST_F(KubeClientClusterTest, StaleUpdateConflictsAndConflictRetryWins) {
  const ResourceRef ref = cluster->configmaps().named("conflict");
  const auto created =
      client.create(cluster->configmaps(), config_map("conflict", kNone, {{"step", "0"}}));
  ASSERT_TRUE(created) << created.error().describe();

  json fresh = *created;
  fresh["data"]["step"] = "1";
  const auto updated = client.update(ref, fresh);
  ASSERT_TRUE(updated) << updated.error().describe();
  EXPECT_NE(rv(*updated), rv(*created));

  json stale = *created;
  stale["data"]["step"] = "stale";
  const auto refused = client.update(ref, stale);
  ASSERT_FALSE(refused);
  EXPECT_TRUE(refused.error().is_conflict()) << refused.error().describe();
  EXPECT_EQ(refused.error().http_status, 409);

  // The first mutation races with another writer, so its write must conflict.
  int mutations = 0;
  const auto retried = update_with_conflict_retry(client, ref, [&](json& object) {
    if (++mutations == 1) {
      json other = object;
      other["data"]["other-writer"] = "was here";
      EXPECT_TRUE(client.update(ref, other).ok());
    }
    object["data"]["step"] = "2";
    return true;
  });
  ASSERT_TRUE(retried) << retried.error().describe();
  EXPECT_EQ(mutations, 2);
  EXPECT_EQ((*retried)["data"]["step"], "2");
  EXPECT_EQ((*retried)["data"]["other-writer"], "was here");
}

TEST_F(KubeClientClusterTest, MergePatchAndJsonPatch) {
  const ResourceRef ref = cluster->configmaps().named("patched");
  ASSERT_TRUE(client.create(cluster->configmaps(), config_map("patched", kNone, {{"a", "1"}})));

  const json merge = {{"data", {{"a", nullptr}, {"b", "2"}}}};
  const auto merged = client.patch(ref, merge, {PatchType::kMerge, "", false});
  ASSERT_TRUE(merged) << merged.error().describe();
  EXPECT_EQ((*merged)["data"], json({{"b", "2"}}));

  const json operations = json::array({{{"op", "test"}, {"path", "/data/b"}, {"value", "2"}},
                                       {{"op", "add"}, {"path", "/data/c"}, {"value", "3"}}});
  const auto patched = client.patch(ref, operations, {PatchType::kJson, "", false});
  ASSERT_TRUE(patched) << patched.error().describe();
  EXPECT_EQ((*patched)["data"], json({{"b", "2"}, {"c", "3"}}));

  const json failing_test = json::array({{{"op", "test"}, {"path", "/data/b"}, {"value", "9"}}});
  const auto refused = client.patch(ref, failing_test, {PatchType::kJson, "", false});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().http_status, 0);
}

TEST_F(KubeClientClusterTest, ServerSideApplyOwnsFieldsAndForceTakesThemOver) {
  const ResourceRef ref = cluster->configmaps().named("applied");
  const json first = config_map("applied", kNone, {{"owner", "a"}});
  const auto created = client.patch(ref, first, {PatchType::kApply, "autocanary-test-a", false});
  ASSERT_TRUE(created) << created.error().describe();
  EXPECT_EQ((*created)["data"]["owner"], "a");
  const json& managed = (*created)["metadata"]["managedFields"];
  EXPECT_TRUE(std::any_of(managed.begin(), managed.end(), [](const json& entry) {
    return common::string_field(&entry, "manager") == "autocanary-test-a" &&
           common::string_field(&entry, "operation") == "Apply";
  })) << managed.dump();

  const json second = config_map("applied", kNone, {{"owner", "b"}});
  const auto contested = client.patch(ref, second, {PatchType::kApply, "autocanary-test-b", false});
  ASSERT_FALSE(contested);
  EXPECT_TRUE(contested.error().is_conflict()) << contested.error().describe();

  const auto forced = client.patch(ref, second, {PatchType::kApply, "autocanary-test-b", true});
  ASSERT_TRUE(forced) << forced.error().describe();
  EXPECT_EQ((*forced)["data"]["owner"], "b");
}

TEST_F(KubeClientClusterTest, DeploymentStrategicMergeAndStatusSubresource) {
  const ResourceRef ref = cluster->deployments().named("status-web");
  ASSERT_TRUE(client.create(cluster->deployments(), deployment("status-web")));

  // Containers merge by name: the sidecar stays, only the app's image changes.
  const json image_patch = json::parse(R"({"spec":{"template":{"spec":{"containers":[
      {"name":"app","image":"registry.example.com/web:2.0.0"}]}}}})");
  const auto patched = client.patch(ref, image_patch, {PatchType::kStrategicMerge, "", false});
  ASSERT_TRUE(patched) << patched.error().describe();
  const json& containers = (*patched)["spec"]["template"]["spec"]["containers"];
  ASSERT_EQ(containers.size(), 2u);
  EXPECT_EQ(containers[0]["image"], "registry.example.com/web:2.0.0");
  EXPECT_EQ(containers[1]["name"], "log");

  // The deployment controller writes the status too, so conflicts are expected.
  const auto written = update_with_conflict_retry(client, ref.sub("status"), [](json& object) {
    json& conditions = object["status"]["conditions"];
    if (!conditions.is_array()) conditions = json::array();
    conditions.push_back({{"type", "AutocanaryProbe"}, {"status", "True"}, {"reason", "Test"},
                          {"message", "written through the status subresource"}});
    object["spec"]["replicas"] = 7;  // the status subresource ignores the spec
    return true;
  });
  ASSERT_TRUE(written) << written.error().describe();
  const json& conditions = (*written)["status"]["conditions"];
  EXPECT_TRUE(std::any_of(conditions.begin(), conditions.end(), [](const json& condition) {
    return common::string_field(&condition, "type") == "AutocanaryProbe";
  })) << conditions.dump();
  EXPECT_EQ((*written)["spec"]["replicas"], 0);
}

TEST_F(KubeClientClusterTest, DeleteHonoursPreconditions) {
  const ResourceRef ref = cluster->configmaps().named("doomed");
  const auto created = client.create(cluster->configmaps(), config_map("doomed"));
  ASSERT_TRUE(created) << created.error().describe();

  DeleteOptions wrong_uid;
  wrong_uid.precondition_uid = "00000000-0000-0000-0000-000000000000";
  const auto refused = client.remove(ref, wrong_uid);
  ASSERT_FALSE(refused);
  EXPECT_TRUE(refused.error().is_conflict()) << refused.error().describe();

  json touched = *created;
  touched["data"]["touched"] = "yes";
  ASSERT_TRUE(client.update(ref, touched));
  DeleteOptions stale_version;
  stale_version.precondition_resource_version = rv(*created);
  const auto stale = client.remove(ref, stale_version);
  ASSERT_FALSE(stale);
  EXPECT_TRUE(stale.error().is_conflict()) << stale.error().describe();

  DeleteOptions exact;
  exact.precondition_uid = common::metadata_string(*created, "uid");
  const auto deleted = client.remove(ref, exact);
  ASSERT_TRUE(deleted) << deleted.error().describe();
  const auto gone = client.get(ref);
  ASSERT_FALSE(gone) << "still there: " << gone->dump();
  EXPECT_TRUE(gone.error().is_not_found());
  const auto again = client.remove(ref, {});
  ASSERT_FALSE(again);
  EXPECT_TRUE(again.error().is_not_found()) << "a repeated delete finds nothing";
}

TEST_F(KubeClientClusterTest, ForegroundDeleteWaitsForTheGarbageCollector) {
  const ResourceRef ref = cluster->configmaps().named("foreground");
  ASSERT_TRUE(client.create(cluster->configmaps(), config_map("foreground")));
  DeleteOptions foreground;
  foreground.propagation = PropagationPolicy::kForeground;
  const auto deleting = client.remove(ref, foreground);
  ASSERT_TRUE(deleting) << deleting.error().describe();
  // The answer is the object, marked for deletion, until dependents are gone.
  EXPECT_FALSE(common::metadata_string(*deleting, "deletionTimestamp").empty()) << deleting->dump();
  EXPECT_TRUE(eventually(
      [&] {
        const auto still = client.get(ref);
        return !still && still.error().is_not_found();
      },
      30s));
}

TEST_F(KubeClientClusterTest, WatchDeliversChangesInOrderThenABookmark) {
  const ResourceRef configmaps = cluster->configmaps();
  ListOptions selection;
  selection.label_selector = "suite=watch";
  const auto before = client.list(configmaps, selection);
  ASSERT_TRUE(before) << before.error().describe();

  const auto created =
      client.create(configmaps, config_map("watched", {{"suite", "watch"}}, {{"v", "1"}}));
  ASSERT_TRUE(created) << created.error().describe();
  ASSERT_TRUE(client.patch(configmaps.named("watched"), {{"data", {{"v", "2"}}}}, {}));
  ASSERT_TRUE(client.remove(configmaps.named("watched"), {}));

  WatchOptions options;
  options.label_selector = "suite=watch";
  options.resource_version = before->resource_version;
  options.timeout = 8s;
  std::vector<WatchEvent> events;
  bool nudged = false;
  const auto watched = client.watch(
      configmaps, options,
      [&](WatchEvent&& event) {
        // A write the watch does not select, made while it runs, moves the
        // apiserver's version past the watcher's: only then does it send a bookmark
        // (shortly before the watch's timeout).
        if (event.type == WatchEventType::kDeleted)
          nudged = client.create(configmaps, config_map("nudge", {{"suite", "other"}})).ok();
        events.push_back(std::move(event));
        return events.back().type != WatchEventType::kBookmark;
      },
      {});
  ASSERT_TRUE(watched) << watched.error().describe();
  EXPECT_TRUE(nudged);

  std::vector<std::string> types;
  for (const auto& event : events) types.emplace_back(to_string(event.type));
  ASSERT_EQ(types, (std::vector<std::string>{"ADDED", "MODIFIED", "DELETED", "BOOKMARK"}));
  EXPECT_EQ(events[0].object["data"]["v"], "1");
  EXPECT_EQ(events[1].object["data"]["v"], "2");
  EXPECT_EQ(common::metadata_string(events[2].object, "name"), "watched");
  EXPECT_FALSE(rv(events[3].object).empty());
  EXPECT_NE(rv(events[3].object), rv(events[2].object));
}

TEST_F(KubeClientClusterTest, WatchStopsPromptlyWhenAsked) {
  WatchOptions options;
  options.label_selector = "suite=nothing-ever";
  options.timeout = 120s;
  std::optional<Result<void>> outcome;
  std::jthread watcher([&](std::stop_token stop) {
    const auto ignore = [](WatchEvent&&) { return true; };
    outcome.emplace(client.watch(cluster->configmaps(), options, ignore, stop));
  });
  std::this_thread::sleep_for(500ms);  // let it connect and block reading
  const auto asked = std::chrono::steady_clock::now();
  watcher.request_stop();
  watcher.join();
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 2s);
  ASSERT_TRUE(outcome.has_value());
  EXPECT_TRUE(outcome->ok()) << outcome->error().describe();
}

TEST_F(KubeClientClusterTest, WatchFromATooOldVersionReportsExpired) {
  WatchOptions options;
  options.resource_version = "1";
  options.timeout = 10s;
  std::vector<WatchEvent> events;
  const auto handler = [&events](WatchEvent&& event) {
    events.push_back(std::move(event));
    return true;
  };
  auto watched = client.watch(cluster->probes(), options, handler, {});
  // A fresh resource's watch cache may still be starting (429 with Retry-After).
  for (int attempt = 0; attempt < 10 && !watched && watched.error().http_status == 429; ++attempt) {
    std::this_thread::sleep_for(1s);
    watched = client.watch(cluster->probes(), options, handler, {});
  }
  ASSERT_FALSE(watched) << "a watch from version 1 must not succeed";
  EXPECT_TRUE(watched.error().is_expired()) << watched.error().describe();
  EXPECT_EQ(watched.error().http_status, 410);
  EXPECT_EQ(watched.error().reason, "Expired");
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().type, WatchEventType::kError) << "the handler sees the ERROR event";
}

// Forwards to the real client, but starts the first watch from version "1", which
// the apiserver has long forgotten: the informer must list again.
class FirstWatchTooOld final : public KubeClient {
 public:
  explicit FirstWatchTooOld(KubeClient& real) : real_(real) {}
  Result<json> get(const ResourceRef& ref) override { return real_.get(ref); }
  Result<ObjectList> list(const ResourceRef& ref, const ListOptions& options) override {
    return real_.list(ref, options);
  }
  Result<json> create(const ResourceRef& ref, const json& object) override {
    return real_.create(ref, object);
  }
  Result<json> update(const ResourceRef& ref, const json& object) override {
    return real_.update(ref, object);
  }
  Result<json> patch(const ResourceRef& ref, const json& patch,
                     const PatchOptions& options) override {
    return real_.patch(ref, patch, options);
  }
  Result<json> remove(const ResourceRef& ref, const DeleteOptions& options) override {
    return real_.remove(ref, options);
  }
  Result<void> watch(const ResourceRef& ref, const WatchOptions& options,
                     const WatchHandler& on_event, std::stop_token stop) override {
    WatchOptions rewritten = options;
    if (!rewritten_once_.exchange(true)) rewritten.resource_version = "1";
    return real_.watch(ref, rewritten, on_event, stop);
  }

 private:
  KubeClient& real_;
  std::atomic<bool> rewritten_once_{false};
};

TEST_F(KubeClientClusterTest, InformerRelistsAfterExpiryAndConvergesWithTheServer) {
  const ResourceRef probes = cluster->probes();
  ASSERT_TRUE(client.create(probes, probe("alpha", "new")));
  ASSERT_TRUE(client.create(probes, probe("beta", "new")));

  std::mutex mutex;
  std::vector<std::string> seen;
  const auto record = [&](std::string line) {
    const std::lock_guard lock(mutex);
    seen.push_back(std::move(line));
  };
  InformerHandlers handlers;
  handlers.on_add = [&](const json& o) { record("add " + common::metadata_string(o, "name")); };
  handlers.on_update = [&](const json&, const json& o) {
    record("update " + common::metadata_string(o, "name") + " " + common::string_field(common::child(&o, "spec"), "phase"));
  };
  handlers.on_delete = [&](const json& o) { record("delete " + common::metadata_string(o, "name")); };
  InformerOptions options;
  options.watch_timeout = 30s;
  options.initial_backoff = 100ms;
  options.max_backoff = 1s;

  FirstWatchTooOld expiring(client);
  Informer informer(expiring, probes, options, handlers, cluster->logger);
  std::jthread running([&informer](std::stop_token stop) { informer.run(stop); });

  ASSERT_TRUE(informer.wait_for_sync(20s));
  ASSERT_TRUE(eventually([&] { return informer.list_count() >= 2; }, 20s))
      << "the expired first watch must lead to a second list";

  ASSERT_TRUE(client.create(probes, probe("gamma", "new")));
  ASSERT_TRUE(client.patch(probes.named("alpha"), {{"spec", {{"phase", "ready"}}}}, {}));
  ASSERT_TRUE(client.remove(probes.named("beta"), {}));

  const auto same_as_server = [&] {
    const auto listed = client.list(probes, {});
    if (!listed) return false;
    std::map<std::string, std::string> server, local;
    for (const auto& item : listed->items) server[object_key(item)] = rv(item);
    for (const auto& item : informer.objects()) local[object_key(item)] = rv(item);
    return server == local;
  };
  ASSERT_TRUE(eventually(same_as_server, 20s));
  ASSERT_TRUE(informer.get(cluster->namespace_name + "/gamma").has_value());
  EXPECT_FALSE(informer.get(cluster->namespace_name + "/beta").has_value());
  EXPECT_EQ((*informer.get(cluster->namespace_name + "/alpha"))["spec"]["phase"], "ready");

  running = {};
  const std::lock_guard lock(mutex);
  for (const char* expected :
       {"add alpha", "add beta", "add gamma", "update alpha ready", "delete beta"})
    EXPECT_NE(std::find(seen.begin(), seen.end(), expected), seen.end()) << expected;
}

TEST_F(KubeClientClusterTest, ServerCertificateMustComeFromTheConfiguredAuthority) {
  auto other = certs::generate_authority("not-the-cluster-ca", 1h);
  ASSERT_TRUE(std::holds_alternative<certs::Authority>(other));
  KubeConfig wrong_authority = cluster->config;
  wrong_authority.certificate_authority_pem =
      certs::to_pem(std::get<certs::Authority>(other).certificate.get());
  const auto untrusting = cluster->make_client(wrong_authority);
  ASSERT_NE(untrusting, nullptr);
  const auto refused = untrusting->get(kNamespaces.named(cluster->namespace_name));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().reason, kReasonConnectionFailed);
  EXPECT_NE(refused.error().message.find("certificate verify failed"), std::string::npos)
      << refused.error().message;

  KubeConfig insecure = cluster->config;
  insecure.certificate_authority_pem.clear();
  insecure.insecure_skip_tls_verify = true;
  const auto trusting = cluster->make_client(insecure);
  ASSERT_NE(trusting, nullptr);
  EXPECT_TRUE(trusting->get(kNamespaces.named(cluster->namespace_name)));
}

TEST_F(KubeClientClusterTest, BearerTokenFromAFileAuthenticatesAServiceAccount) {
  const ResourceRef accounts{"", "v1", "serviceaccounts", cluster->namespace_name, "", ""};
  ASSERT_TRUE(client.create(accounts, {{"metadata", {{"name", "robot"}}}}));
  // A TokenRequest is a create on the serviceaccounts/token subresource.
  const auto issued = client.create(accounts.named("robot").sub("token"),
                                    {{"apiVersion", "authentication.k8s.io/v1"},
                                     {"kind", "TokenRequest"},
                                     {"spec", {{"expirationSeconds", 600}}}});
  ASSERT_TRUE(issued) << issued.error().describe();
  const std::string token = common::string_field(common::child(&issued.value(), "status"), "token");
  ASSERT_FALSE(token.empty());

  const std::string token_file = ::testing::TempDir() + "kube-client-test-token";
  std::ofstream(token_file) << token << "\n";
  KubeConfig as_robot = cluster->config;
  as_robot.client_certificate_pem.clear();
  as_robot.client_key_pem.clear();
  as_robot.token_file = token_file;
  const auto robot = cluster->make_client(as_robot);
  ASSERT_NE(robot, nullptr);

  const ResourceRef reviews{"authentication.k8s.io", "v1", "selfsubjectreviews", "", "", ""};
  const auto review = robot->create(
      reviews, {{"apiVersion", "authentication.k8s.io/v1"}, {"kind", "SelfSubjectReview"}});
  ASSERT_TRUE(review) << review.error().describe();
  EXPECT_EQ((*review)["status"]["userInfo"]["username"],
            "system:serviceaccount:" + cluster->namespace_name + ":robot");
  const auto forbidden = robot->get(kNamespaces.named(cluster->namespace_name));
  ASSERT_FALSE(forbidden);
  EXPECT_EQ(forbidden.error().reason, "Forbidden");

  KubeConfig bad_token = as_robot;
  bad_token.token_file.clear();
  bad_token.token = "not-a-token";
  const auto stranger = cluster->make_client(bad_token);
  ASSERT_NE(stranger, nullptr);
  const auto unauthorized = stranger->get(kNamespaces.named(cluster->namespace_name));
  ASSERT_FALSE(unauthorized);
  EXPECT_EQ(unauthorized.error().http_status, 401);
  std::remove(token_file.c_str());
}

}  // namespace
}  // namespace autocanary::kube

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  autocanary::kube::cluster = new autocanary::kube::Cluster;
  ::testing::AddGlobalTestEnvironment(autocanary::kube::cluster);  // gtest owns it
  return RUN_ALL_TESTS();
}

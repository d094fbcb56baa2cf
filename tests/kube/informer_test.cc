// The informer's loop against a scripted client: what it lists, where each watch
// starts, what its handlers see, and that it stops at once.
#include "kube/informer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <thread>

#include "kube/resources.h"
#include "tests/kube/scripted_kube_client.h"

namespace autocanary::kube {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const ResourceRef kDeployments = deployments();

json object(const std::string& name, const std::string& version) {
  return {{"metadata", {{"namespace", "shop"}, {"name", name}, {"resourceVersion", version}}}};
}

WatchEvent event(WatchEventType type, json value) { return WatchEvent{type, std::move(value)}; }

json bookmark(const std::string& version) { return {{"metadata", {{"resourceVersion", version}}}}; }

KubeError expired() {
  return KubeError{410, "Expired", "too old resource version: 100 (150)", false};
}

class InformerTest : public ::testing::Test {
 protected:
  void start(std::chrono::milliseconds backoff = 1ms) {
    InformerOptions options;
    options.list.label_selector = "autocanary.io/managed=true";
    options.watch_timeout = 60s;
    options.initial_backoff = backoff;
    options.max_backoff = backoff;
    InformerHandlers handlers;
    handlers.on_add = [this](const json& o) { record("add " + object_key(o)); };
    handlers.on_update = [this](const json& old_object, const json& o) {
      record("update " + object_key(o) + " " + metadata_rv(old_object) + "->" + metadata_rv(o));
    };
    handlers.on_delete = [this](const json& o) { record("delete " + object_key(o)); };
    informer = std::make_unique<Informer>(client, kDeployments, options, handlers, logger);
    thread = std::jthread([this](std::stop_token stop) { informer->run(stop); });
  }

  static std::string metadata_rv(const json& o) {
    return o["metadata"]["resourceVersion"].get<std::string>();
  }

  void record(std::string line) {
    const std::lock_guard lock(mutex);
    seen.push_back(std::move(line));
  }

  std::vector<std::string> handled() {
    const std::lock_guard lock(mutex);
    return seen;
  }

  void TearDown() override {
    thread = {};
    std::fclose(log_file);
  }

  std::FILE* log_file = std::tmpfile();
  common::Logger logger{common::LogLevel::kDebug, log_file};
  testing::ScriptedKubeClient client;
  std::unique_ptr<Informer> informer;
  std::mutex mutex;
  std::vector<std::string> seen;
  std::jthread thread;
};

TEST_F(InformerTest, ListsThenWatchesFromTheListVersionAndFollowsEvents) {
  client.add_list(ObjectList{{object("a", "1"), object("b", "2")}, "100"});
  client.add_watch({{event(WatchEventType::kModified, object("a", "101")),
                     event(WatchEventType::kAdded, object("c", "102")),
                     event(WatchEventType::kDeleted, object("b", "103"))},
                    {}});
  start();
  ASSERT_TRUE(informer->wait_for_sync(5s));
  ASSERT_TRUE(client.wait_for_watches(2, 5s));

  const auto watches = client.watch_calls();
  EXPECT_EQ(watches[0].resource_version, "100");
  EXPECT_EQ(watches[0].label_selector, "autocanary.io/managed=true");
  EXPECT_TRUE(watches[0].allow_bookmarks);
  EXPECT_EQ(watches[0].timeout, 60s);
  EXPECT_EQ(watches[1].resource_version, "103") << "a timed-out watch resumes where it was";
  EXPECT_EQ(client.list_calls(), 1);

  EXPECT_EQ(handled(), (std::vector<std::string>{"add shop/a", "add shop/b", "update shop/a 1->101",
                                                 "add shop/c", "delete shop/b"}));
  EXPECT_EQ(informer->objects().size(), 2u);
  ASSERT_TRUE(informer->get("shop/a").has_value());
  EXPECT_EQ(metadata_rv(*informer->get("shop/a")), "101");
  EXPECT_FALSE(informer->get("shop/b").has_value());
}

TEST_F(InformerTest, BookmarksMoveTheVersionWithoutTouchingTheCache) {
  client.add_list(ObjectList{{object("a", "1")}, "100"});
  client.add_watch({{event(WatchEventType::kBookmark, bookmark("180"))}, {}});
  start();
  ASSERT_TRUE(client.wait_for_watches(2, 5s));
  EXPECT_EQ(client.watch_calls()[1].resource_version, "180");
  EXPECT_EQ(informer->resource_version(), "180");
  EXPECT_EQ(handled(), std::vector<std::string>{"add shop/a"});
}

TEST_F(InformerTest, ExpiredWatchRelistsAndReportsWhatChangedMeanwhile) {
  client.add_list(ObjectList{{object("a", "1"), object("b", "2"), object("c", "3")}, "100"});
  const json status = {{"kind", "Status"}, {"code", 410}, {"reason", "Expired"}};
  client.add_watch({{event(WatchEventType::kError, status)}, expired()});
  client.add_list(ObjectList{{object("a", "150"), object("c", "3"), object("d", "140")}, "200"});
  start();
  ASSERT_TRUE(client.wait_for_watches(2, 5s));

  EXPECT_EQ(client.list_calls(), 2);
  EXPECT_EQ(informer->list_count(), 2u);
  EXPECT_EQ(client.watch_calls()[1].resource_version, "200");
  EXPECT_EQ(handled(), (std::vector<std::string>{"add shop/a", "add shop/b", "add shop/c",
                                                 "delete shop/b", "add shop/d",
                                                 "update shop/a 1->150"}));
}

TEST_F(InformerTest, ExpiryRightAfterListingBacksOffInsteadOfSpinning) {
  const json status = {{"kind", "Status"}, {"code", 410}, {"reason", "Expired"}};
  for (int i = 0; i < 2; ++i) {
    client.add_list(ObjectList{{}, "100"});
    client.add_watch({{event(WatchEventType::kError, status)}, expired()});
  }
  client.add_list(ObjectList{{}, "100"});
  const auto started = std::chrono::steady_clock::now();
  start(200ms);
  ASSERT_TRUE(client.wait_for_watches(3, 5s));
  // Each pause is at least half the 200 ms backoff.
  EXPECT_GE(std::chrono::steady_clock::now() - started, 200ms);
  EXPECT_EQ(client.list_calls(), 3);
}

TEST_F(InformerTest, ExpiryAfterProgressListsAgainAtOnce) {
  const json status = {{"kind", "Status"}, {"code", 410}, {"reason", "Expired"}};
  client.add_list(ObjectList{{}, "100"});
  client.add_watch({{event(WatchEventType::kAdded, object("a", "101")),
                     event(WatchEventType::kError, status)},
                    expired()});
  client.add_list(ObjectList{{object("a", "101")}, "200"});
  const auto started = std::chrono::steady_clock::now();
  start(1h);
  ASSERT_TRUE(client.wait_for_watches(2, 5s));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  EXPECT_EQ(client.list_calls(), 2);
}

TEST_F(InformerTest, OtherWatchFailuresReconnectFromTheSameVersionWithoutListing) {
  client.add_list(ObjectList{{object("a", "1")}, "100"});
  client.add_watch({{event(WatchEventType::kAdded, object("b", "105"))},
                    KubeError{0, kReasonTransportFailed, "connection reset", true}});
  start();
  ASSERT_TRUE(client.wait_for_watches(2, 5s));
  EXPECT_EQ(client.list_calls(), 1);
  EXPECT_EQ(client.watch_calls()[1].resource_version, "105");
}

TEST_F(InformerTest, AFailedListIsRetried) {
  client.add_list(KubeError{503, "ServiceUnavailable", "starting", true});
  client.add_list(ObjectList{{object("a", "1")}, "100"});
  start();
  ASSERT_TRUE(informer->wait_for_sync(5s));
  EXPECT_EQ(client.list_calls(), 2);
  EXPECT_TRUE(informer->get("shop/a").has_value());
}

TEST_F(InformerTest, StopEndsAQuietWatchAtOnce) {
  client.add_list(ObjectList{{}, "100"});
  start();
  ASSERT_TRUE(client.wait_for_watches(1, 5s));
  const auto asked = std::chrono::steady_clock::now();
  thread.request_stop();
  thread.join();
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 1s);
}

TEST_F(InformerTest, StopEndsABackoffPauseAtOnce) {
  InformerOptions options;
  options.initial_backoff = 1h;
  options.max_backoff = 1h;
  informer = std::make_unique<Informer>(client, kDeployments, options, InformerHandlers{}, logger);
  thread = std::jthread([this](std::stop_token stop) { informer->run(stop); });  // lists fail
  while (client.list_calls() == 0) std::this_thread::sleep_for(1ms);
  const auto asked = std::chrono::steady_clock::now();
  thread.request_stop();
  thread.join();
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 1s);
  EXPECT_FALSE(informer->has_synced());
}

TEST_F(InformerTest, AListIsReadPageByPageEachProjectedBeforeTheNext) {
  client.add_page({{object("a", "5"), object("b", "6")}, "", "token-1"});
  client.add_page({{object("c", "7")}, "9", ""});
  std::vector<std::pair<std::string, int>> projected;  // object, pages read when it was projected
  InformerOptions options;
  options.list.page_size = 2;
  options.transform = [&](json& item) {
    projected.emplace_back(object_key(item), client.list_calls());
    item.erase("spec");
  };
  informer = std::make_unique<Informer>(client, kDeployments, options, InformerHandlers{}, logger);
  thread = std::jthread([this](std::stop_token stop) { informer->run(stop); });
  ASSERT_TRUE(informer->wait_for_sync(5s));
  EXPECT_EQ(client.page_tokens(), (std::vector<std::string>{"", "token-1"}));
  EXPECT_EQ(projected, (std::vector<std::pair<std::string, int>>{{"shop/a", 1}, {"shop/b", 1}, {"shop/c", 2}}))
      << "the first page is projected before the second is read";
  EXPECT_EQ(informer->keys(), (std::vector<std::string>{"shop/a", "shop/b", "shop/c"}));
  EXPECT_EQ(informer->resource_version(), "9") << "the list's version comes with its last page";
}

TEST(ObjectKeyTest, NamespacedAndClusterScoped) {
  EXPECT_EQ(object_key(object("web", "1")), "shop/web");
  EXPECT_EQ(object_key(json{{"metadata", {{"name", "node-1"}}}}), "node-1");
}

}  // namespace
}  // namespace autocanary::kube

namespace autocanary::kube {
namespace {

TEST(ProjectMetadataTest, KeepsIdentityLabelsAndWhatIsAsked) {
  nlohmann::json pod = nlohmann::json::parse(R"({
    "kind": "Pod",
    "metadata": {"name": "p", "namespace": "ns", "uid": "u", "resourceVersion": "7", "labels": {"a": "b"},
                 "annotations": {"big": "x"}, "managedFields": [{"manager": "kubectl"}]},
    "spec": {"containers": [{"name": "c"}]},
    "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}})");
  project_metadata({"/status/conditions"})(pod);
  EXPECT_EQ(pod, nlohmann::json::parse(R"({
    "kind": "Pod",
    "metadata": {"name": "p", "namespace": "ns", "uid": "u", "resourceVersion": "7", "labels": {"a": "b"}},
    "status": {"conditions": [{"type": "Ready", "status": "True"}]}})"));
}

}  // namespace
}  // namespace autocanary::kube

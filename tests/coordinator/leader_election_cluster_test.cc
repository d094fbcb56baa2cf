// Two electors on one Lease of a real kube-apiserver, with short timings (lease 3 s,
// renew deadline 2 s, retry 0.5 s): one leads; a crashed leader is replaced once its
// lease expires, a stopped one at once. KUBECONFIG must name a running cluster
// (tests/cluster/up.sh; tests/e2e/test_leader_election.py runs this). The Leases live
// in a namespace of this run, deleted at the end.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "coordinator/leader_election.h"
#include "kube/http_kube_client.h"
#include "kube/resources.h"
#include "tests/support/test_cluster.h"

namespace autocanary::coordinator {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using nlohmann::json;

const kube::ResourceRef kNamespaces = kube::namespaces();
const LeaseTimings kTimings{3s, 2s, 500ms};
// Scheduling and request latency on a busy test machine.
constexpr milliseconds kSlack{700};

class Cluster : public ::testing::Environment {
 public:
  void SetUp() override {
    auto loaded = testing::test_cluster_config("tests/e2e/test_leader_election.py");
    if (auto* error = std::get_if<std::string>(&loaded)) GTEST_FAIL() << *error;
    config = std::get<kube::KubeConfig>(loaded);
    admin = make_client();
    ASSERT_NE(admin, nullptr);

    run = testing::test_run_suffix();
    namespace_name = "leader-election-test-" + run;
    auto created = admin->create(kNamespaces, {{"apiVersion", "v1"},
                                               {"kind", "Namespace"},
                                               {"metadata", {{"name", namespace_name}}}});
    ASSERT_TRUE(created) << created.error().describe();
  }

  void TearDown() override {
    if (admin && !namespace_name.empty())
      (void)admin->remove(kNamespaces.named(namespace_name), {});
  }

  // Each replica has a client of its own, as separate processes would. Calls end
  // well within the renew deadline, so a slow apiserver cannot hold an elector.
  std::unique_ptr<kube::HttpKubeClient> make_client() {
    kube::HttpKubeClientOptions options;
    options.connect_timeout = 1s;
    options.request_timeout = 1s;
    options.retry.max_attempts = 2;
    options.retry.initial_backoff = 50ms;
    options.retry.max_backoff = 100ms;
    options.field_manager = "autocanary-leader-election-test";
    return testing::test_cluster_client(config, options, logger);
  }

  common::Logger logger{common::LogLevel::kWarn};
  kube::KubeConfig config;
  std::unique_ptr<kube::HttpKubeClient> admin;
  std::string run;
  std::string namespace_name;
};

Cluster* cluster = nullptr;

class Replica {
 public:
  Replica(const std::string& lease, const std::string& name, bool release_on_stop)
      : client_(cluster->make_client()) {
    if (!client_) return;
    auto made = LeaderElector::make(
        *client_,
        {cluster->namespace_name, lease, name + "-" + cluster->run, kTimings, release_on_stop},
        system_clock_reading, {}, cluster->logger);
    if (auto* error = std::get_if<std::string>(&made)) {
      ADD_FAILURE() << *error;
      return;
    }
    elector_ = std::move(std::get<std::unique_ptr<LeaderElector>>(made));
    thread_ = std::jthread([this](std::stop_token stop) { elector_->run(stop); });
  }

  [[nodiscard]] bool ready() const { return elector_ != nullptr; }
  [[nodiscard]] bool is_leader() const { return elector_->is_leader(); }
  [[nodiscard]] const std::string& identity() const { return elector_->identity(); }
  void stop() {
    thread_.request_stop();
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::unique_ptr<kube::HttpKubeClient> client_;
  std::unique_ptr<LeaderElector> elector_;
  std::jthread thread_;  // last: stopped and joined before the elector goes
};

// How long until `condition` held, polled every 5 ms; nothing after `timeout`.
template <typename Condition>
std::optional<milliseconds> wait_for(Condition condition, milliseconds timeout) {
  const auto start = std::chrono::steady_clock::now();
  while (!condition()) {
    const auto waited = std::chrono::steady_clock::now() - start;
    if (waited > timeout) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
  return std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
}

ObservedLease read_stored(const std::string& lease) {
  auto read = cluster->admin->get(
      kube::leases(cluster->namespace_name, lease));
  EXPECT_TRUE(read) << read.error().describe();
  return read ? read_lease(*read) : ObservedLease{};
}

// A Lease no earlier test (or --gtest_repeat round) has used.
std::string fresh_lease(const std::string& base) {
  static int rounds = 0;
  return base + "-" + std::to_string(++rounds);
}

// Both replicas started; returns once exactly one leads.
void wait_for_one_leader(Replica& a, Replica& b) {
  ASSERT_TRUE(a.ready() && b.ready());
  const auto elected = wait_for([&] { return a.is_leader() || b.is_leader(); }, 10s);
  ASSERT_TRUE(elected) << "nobody acquired the Lease";
  EXPECT_NE(a.is_leader(), b.is_leader());
}

TEST(LeaderElectionClusterTest, ExactlyOneOfTwoLeadsAndKeepsLeading) {
  const std::string lease = fresh_lease("one-leader");
  Replica a(lease, "a", true);
  Replica b(lease, "b", true);
  wait_for_one_leader(a, b);
  Replica& leader = a.is_leader() ? a : b;
  // Several lease durations: renewals keep it, the follower never takes it.
  const auto end = std::chrono::steady_clock::now() + 2 * kTimings.lease_duration;
  int samples = 0;
  while (std::chrono::steady_clock::now() < end) {
    const bool a_leads = a.is_leader();
    const bool b_leads = b.is_leader();
    ASSERT_FALSE(a_leads && b_leads) << "two leaders";
    ASSERT_TRUE(a_leads || b_leads) << "the leader lost the Lease";
    ++samples;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_GT(samples, 100);
  const ObservedLease stored = read_stored(lease);
  EXPECT_EQ(stored.spec.holder_identity, leader.identity());
  EXPECT_EQ(stored.spec.lease_duration_seconds, 3);
  EXPECT_EQ(stored.spec.lease_transitions, 0);
}

TEST(LeaderElectionClusterTest, ACrashedLeaderIsReplacedOnceItsLeaseExpires) {
  const std::string lease = fresh_lease("crash");
  Replica a(lease, "a", false);
  Replica b(lease, "b", false);
  wait_for_one_leader(a, b);
  Replica& leader = a.is_leader() ? a : b;
  Replica& follower = a.is_leader() ? b : a;
  std::this_thread::sleep_for(1s);  // a few renewals first

  leader.stop();  // without a release, as a crash would
  ASSERT_EQ(read_stored(lease).spec.holder_identity, leader.identity());
  const auto took_over = wait_for([&] { return follower.is_leader(); }, 10s);
  ASSERT_TRUE(took_over) << "the follower never took over";
  std::printf("takeover after a crash: %lld ms (lease %lld ms + retry %lld ms)\n",
              static_cast<long long>(took_over->count()),
              static_cast<long long>(kTimings.lease_duration.count()),
              static_cast<long long>(kTimings.retry_period.count()));
  // It waited for the lease to expire, and not much longer.
  EXPECT_GE(*took_over, kTimings.lease_duration - 2 * kTimings.retry_period);
  EXPECT_LE(*took_over, kTimings.lease_duration + kTimings.retry_period + kSlack);
  const ObservedLease stored = read_stored(lease);
  EXPECT_EQ(stored.spec.holder_identity, follower.identity());
  EXPECT_EQ(stored.spec.lease_transitions, 1);
}

TEST(LeaderElectionClusterTest, AStoppedLeaderReleasesSoTheOtherTakesOverAtOnce) {
  const std::string lease = fresh_lease("release");
  Replica a(lease, "a", true);
  Replica b(lease, "b", true);
  wait_for_one_leader(a, b);
  Replica& leader = a.is_leader() ? a : b;
  Replica& follower = a.is_leader() ? b : a;
  std::this_thread::sleep_for(1s);

  const auto stopping = std::chrono::steady_clock::now();
  leader.stop();
  const auto stopped = std::chrono::steady_clock::now() - stopping;
  const auto took_over = wait_for([&] { return follower.is_leader(); }, 10s);
  ASSERT_TRUE(took_over) << "the follower never took over";
  std::printf("takeover after a release: %lld ms (retry %lld ms; stopping took %lld ms)\n",
              static_cast<long long>(took_over->count()),
              static_cast<long long>(kTimings.retry_period.count()),
              static_cast<long long>(std::chrono::duration_cast<milliseconds>(stopped).count()));
  // Attempts to acquire are spread by up to 20 % of the retry period.
  EXPECT_LE(*took_over, kTimings.retry_period * 6 / 5 + kSlack);
  const ObservedLease stored = read_stored(lease);
  EXPECT_EQ(stored.spec.holder_identity, follower.identity());
  EXPECT_EQ(stored.spec.lease_transitions, 1);
}

}  // namespace
}  // namespace autocanary::coordinator

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  autocanary::coordinator::cluster = new autocanary::coordinator::Cluster;
  ::testing::AddGlobalTestEnvironment(autocanary::coordinator::cluster);  // gtest owns it
  return RUN_ALL_TESTS();
}

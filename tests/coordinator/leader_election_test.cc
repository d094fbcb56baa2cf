// Leader election without a cluster: the pure decision on a Lease, and the
// elector's loop against a scripted apiserver with a fake clock.
#include "coordinator/leader_election.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <mutex>
#include <thread>

#include "tests/kube/scripted_kube_client.h"

namespace autocanary::coordinator {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const common::SystemTime kStart = *common::parse_rfc3339("2026-11-22T10:00:00Z");
const MonotonicTime kBoot = MonotonicTime(1'000s);
const LeaseTimings kTimings{15s, 10s, 2s};

ClockReading at(std::chrono::milliseconds since_start) {
  return {kStart + since_start, kBoot + since_start};
}

ObservedLease lease_of(std::string holder, std::string version = "1",
                       std::int64_t transitions = 0, std::int64_t duration_seconds = 15) {
  ObservedLease lease;
  lease.spec.holder_identity = std::move(holder);
  lease.spec.lease_duration_seconds = duration_seconds;
  lease.spec.acquire_time = kStart;
  lease.spec.renew_time = kStart;
  lease.spec.lease_transitions = transitions;
  lease.resource_version = std::move(version);
  return lease;
}

// Runs the decision and keeps its memory, as the elector does.
struct Decider {
  ElectionDecision decide(const std::optional<ObservedLease>& lease, ClockReading now) {
    ElectionDecision decision = decide_election(lease, memory, "me", now, kTimings);
    memory = decision.memory;
    return decision;
  }
  ElectionMemory memory;
};

// ---- the decision ----------------------------------------------------------------

TEST(LeaderElectionDecisionTest, CreatesTheLeaseWhenThereIsNone) {
  Decider decider;
  const ElectionDecision decision = decider.decide(std::nullopt, at(0ms));
  EXPECT_EQ(decision.action, LeaseAction::kCreate);
  EXPECT_EQ(decision.write.holder_identity, "me");
  EXPECT_EQ(decision.write.lease_duration_seconds, 15);
  EXPECT_EQ(decision.write.acquire_time, kStart);
  EXPECT_EQ(decision.write.renew_time, kStart);
  EXPECT_EQ(decision.write.lease_transitions, 0);
}

TEST(LeaderElectionDecisionTest, WaitsForTheInstallerBeforeCreatingAMissingLease) {
  LeaseTimings timings = kTimings;
  timings.missing_lease_wait = 30s;
  ElectionMemory memory;
  ElectionDecision decision = decide_election(std::nullopt, memory, "me", at(0ms), timings);
  EXPECT_EQ(decision.action, LeaseAction::kFollow);
  EXPECT_EQ(decision.memory.missing_since, kBoot);
  decision = decide_election(std::nullopt, decision.memory, "me", at(29'999ms), timings);
  EXPECT_EQ(decision.action, LeaseAction::kFollow);
  EXPECT_NE(decision.reason.find("1 ms for its installer"), std::string::npos) << decision.reason;
  // The installer's Lease (empty, as the chart makes it) appears: taken, and the wait forgotten.
  decision = decide_election(lease_of("", "1", 0, 0), decision.memory, "me", at(1s), timings);
  EXPECT_EQ(decision.action, LeaseAction::kTakeOver);
  EXPECT_EQ(decision.memory.missing_since, std::nullopt);
}

TEST(LeaderElectionDecisionTest, CreatesAMissingLeaseOnceTheWaitHasPassed) {
  LeaseTimings timings = kTimings;
  timings.missing_lease_wait = 30s;
  ElectionMemory memory;
  memory = decide_election(std::nullopt, memory, "me", at(0ms), timings).memory;
  const ElectionDecision decision = decide_election(std::nullopt, memory, "me", at(30s), timings);
  EXPECT_EQ(decision.action, LeaseAction::kCreate);
  EXPECT_EQ(decision.write.holder_identity, "me");
  EXPECT_EQ(decision.write.acquire_time, kStart + 30s);
}

TEST(LeaderElectionDecisionTest, FollowsALiveLeaseOfAnotherHolder) {
  Decider decider;
  EXPECT_EQ(decider.decide(lease_of("other"), at(0ms)).action, LeaseAction::kFollow);
  EXPECT_EQ(decider.memory.observed_at, kBoot);
  EXPECT_EQ(decider.decide(lease_of("other"), at(15s)).action, LeaseAction::kFollow);
}

TEST(LeaderElectionDecisionTest, TakesOverALeaseUnchangedForItsDurationWithOneMoreTransition) {
  Decider decider;
  (void)decider.decide(lease_of("other", "7", 3), at(0ms));
  const ElectionDecision decision = decider.decide(lease_of("other", "7", 3), at(15'001ms));
  EXPECT_EQ(decision.action, LeaseAction::kTakeOver);
  EXPECT_EQ(decision.write.holder_identity, "me");
  EXPECT_EQ(decision.write.lease_transitions, 4);
  EXPECT_EQ(decision.write.acquire_time, kStart + 15'001ms);
  EXPECT_EQ(decision.write.renew_time, kStart + 15'001ms);
}

TEST(LeaderElectionDecisionTest, MeasuresExpiryFromWhenItSawTheLeaseNotFromTheHoldersRenewTime) {
  Decider decider;
  ObservedLease stale = lease_of("other");
  stale.spec.renew_time = kStart - 1h;  // the holder's clock may be an hour behind ours
  EXPECT_EQ(decider.decide(stale, at(0ms)).action, LeaseAction::kFollow);

  ObservedLease ahead = lease_of("other", "2");
  ahead.spec.renew_time = kStart + 1h;  // or ahead: it buys no more than one duration
  EXPECT_EQ(decider.decide(ahead, at(1s)).action, LeaseAction::kFollow);
  EXPECT_EQ(decider.decide(ahead, at(16'001ms)).action, LeaseAction::kTakeOver);
}

TEST(LeaderElectionDecisionTest, ARenewalByTheHolderRestartsTheWait) {
  Decider decider;
  (void)decider.decide(lease_of("other", "1"), at(0ms));
  ObservedLease renewed = lease_of("other", "2");
  renewed.spec.renew_time = kStart + 10s;
  EXPECT_EQ(decider.decide(renewed, at(10s)).action, LeaseAction::kFollow);
  EXPECT_EQ(decider.decide(renewed, at(20s)).action, LeaseAction::kFollow);
  EXPECT_EQ(decider.decide(renewed, at(25'001ms)).action, LeaseAction::kTakeOver);
}

TEST(LeaderElectionDecisionTest, UsesTheDurationWrittenInTheLease) {
  Decider decider;
  (void)decider.decide(lease_of("other", "1", 0, 5), at(0ms));
  EXPECT_EQ(decider.decide(lease_of("other", "1", 0, 5), at(5s)).action, LeaseAction::kFollow);
  EXPECT_EQ(decider.decide(lease_of("other", "1", 0, 5), at(5'001ms)).action,
            LeaseAction::kTakeOver);
}

TEST(LeaderElectionDecisionTest, TakesAReleasedLeaseAtOnce) {
  Decider decider;
  const ElectionDecision decision = decider.decide(lease_of("", "4", 2, 1), at(0ms));
  EXPECT_EQ(decision.action, LeaseAction::kTakeOver);
  EXPECT_EQ(decision.write.lease_transitions, 3);
  EXPECT_EQ(decision.write.lease_duration_seconds, 15);
}

TEST(LeaderElectionDecisionTest, ReclaimsALeaseNamingItWithoutATransition) {
  Decider decider;
  const ElectionDecision decision = decider.decide(lease_of("me", "4", 2), at(3s));
  EXPECT_EQ(decision.action, LeaseAction::kTakeOver);
  EXPECT_EQ(decision.write.lease_transitions, 2);
  EXPECT_EQ(decision.write.acquire_time, kStart + 3s);
}

TEST(LeaderElectionDecisionTest, RenewsWhileLeadingKeepingAcquireTimeAndTransitions) {
  Decider decider;
  decider.memory.leading = true;
  decider.memory.renewed_at = kBoot;
  const ElectionDecision decision = decider.decide(lease_of("me", "4", 2), at(2s));
  EXPECT_EQ(decision.action, LeaseAction::kRenew);
  EXPECT_EQ(decision.write.acquire_time, kStart);
  EXPECT_EQ(decision.write.renew_time, kStart + 2s);
  EXPECT_EQ(decision.write.lease_transitions, 2);
}

TEST(LeaderElectionDecisionTest, StopsLeadingOnceRenewalsFailedForTheRenewDeadline) {
  Decider decider;
  decider.memory.leading = true;
  decider.memory.renewed_at = kBoot;
  EXPECT_EQ(decider.decide(lease_of("me"), at(9'999ms)).action, LeaseAction::kRenew);
  // Even though the Lease still names me: others may take it soon.
  EXPECT_EQ(decider.decide(lease_of("me"), at(10s)).action, LeaseAction::kStopLeading);
  EXPECT_TRUE(leadership_lapsed(decider.memory, kBoot + 10s, kTimings));
}

TEST(LeaderElectionDecisionTest, StopsLeadingWhenTheLeaseNamesAnotherHolder) {
  Decider decider;
  decider.memory.leading = true;
  decider.memory.renewed_at = kBoot;
  EXPECT_EQ(decider.decide(lease_of("other"), at(1s)).action, LeaseAction::kStopLeading);
  EXPECT_EQ(decider.decide(lease_of(""), at(1s)).action, LeaseAction::kStopLeading);
}

TEST(LeaderElectionDecisionTest, CreatesTheLeaseAgainWhenItWasDeletedUnderTheLeader) {
  Decider decider;
  decider.memory.leading = true;
  decider.memory.renewed_at = kBoot;
  EXPECT_EQ(decider.decide(std::nullopt, at(2s)).action, LeaseAction::kCreate);
  // The wait for an installer is for replicas that do not lead: a leader keeps its term.
  LeaseTimings timings = kTimings;
  timings.missing_lease_wait = 30s;
  EXPECT_EQ(decide_election(std::nullopt, decider.memory, "me", at(2s), timings).action,
            LeaseAction::kCreate);
}

// ---- the Lease object ---------------------------------------------------------------

TEST(LeaderElectionLeaseTest, ReadsTheSpecWithMicroTimes) {
  const json object = {
      {"metadata", {{"name", "autocanary"}, {"resourceVersion", "42"}}},
      {"spec",
       {{"holderIdentity", "pod-a"},
        {"leaseDurationSeconds", 15},
        {"acquireTime", "2026-11-22T10:00:00.000001Z"},
        {"renewTime", "2026-11-22T10:00:00.123456Z"},
        {"leaseTransitions", 3}}}};
  const ObservedLease lease = read_lease(object);
  EXPECT_EQ(lease.resource_version, "42");
  EXPECT_EQ(lease.spec.holder_identity, "pod-a");
  EXPECT_EQ(lease.spec.lease_duration_seconds, 15);
  EXPECT_EQ(lease.spec.acquire_time, kStart + 1us);
  EXPECT_EQ(lease.spec.renew_time, kStart + 123'456us);
  EXPECT_EQ(lease.spec.lease_transitions, 3);
}

TEST(LeaderElectionLeaseTest, ReadsAnEmptyOrMistypedSpecAsFree) {
  const ObservedLease lease = read_lease(
      {{"spec", {{"holderIdentity", 7}, {"leaseDurationSeconds", "15"}, {"renewTime", "soon"}}}});
  EXPECT_EQ(lease.spec, LeaseSpec{});
  EXPECT_EQ(read_lease(json::object()).spec, LeaseSpec{});
}

TEST(LeaderElectionLeaseTest, FormatsMicroTime) {
  EXPECT_EQ(format_micro_time(kStart + 123'456us), "2026-11-22T10:00:00.123456Z");
  EXPECT_EQ(format_micro_time(kStart + 59s + 7us), "2026-11-22T10:00:59.000007Z");
  EXPECT_EQ(format_micro_time(kStart + 999ns), "2026-11-22T10:00:00.000000Z");
}

TEST(LeaderElectionLeaseTest, WritesTheSpecIntoTheReadObjectKeepingItsVersion) {
  const json read = {{"apiVersion", "coordination.k8s.io/v1"},
                     {"kind", "Lease"},
                     {"metadata", {{"name", "l"}, {"namespace", "n"}, {"resourceVersion", "9"}}},
                     {"spec", {{"holderIdentity", "old"}, {"acquireTime", "x"}}}};
  LeaseSpec spec;
  spec.holder_identity = "me";
  spec.lease_duration_seconds = 15;
  spec.renew_time = kStart + 1us;
  spec.lease_transitions = 1;
  const json written = lease_object(read, "n", "l", spec);
  EXPECT_EQ(written["metadata"]["resourceVersion"], "9");
  EXPECT_EQ(written["spec"],
            json({{"holderIdentity", "me"},
                  {"leaseDurationSeconds", 15},
                  {"renewTime", "2026-11-22T10:00:00.000001Z"},
                  {"leaseTransitions", 1}}));
}

TEST(LeaderElectionLeaseTest, BuildsANewLeaseForACreate) {
  const json created = lease_object(nullptr, "autocanary-system", "autocanary-coordinator",
                                    LeaseSpec{"me", 15, kStart, kStart, 0});
  EXPECT_EQ(created["apiVersion"], "coordination.k8s.io/v1");
  EXPECT_EQ(created["kind"], "Lease");
  EXPECT_EQ(created["metadata"],
            json({{"namespace", "autocanary-system"}, {"name", "autocanary-coordinator"}}));
  EXPECT_EQ(created["spec"]["acquireTime"], "2026-11-22T10:00:00.000000Z");
}

TEST(LeaderElectionTimingsTest, AcceptsTheDefaultsAndRejectsTimingsThatCannotKeepOneLeader) {
  EXPECT_EQ(validate(LeaseTimings{}), std::nullopt);
  EXPECT_EQ(validate(LeaseTimings{3s, 2s, 500ms}), std::nullopt);
  EXPECT_NE(validate(LeaseTimings{10s, 10s, 2s}), std::nullopt);
  EXPECT_NE(validate(LeaseTimings{15s, 10s, 9s}), std::nullopt);
  EXPECT_NE(validate(LeaseTimings{15s, 10s, 0s}), std::nullopt);
  EXPECT_EQ(validate(LeaseTimings{15s, 10s, 2s, 30s}), std::nullopt);
  EXPECT_NE(validate(LeaseTimings{15s, 10s, 2s, -1ms}), std::nullopt);
  EXPECT_NE(validate(LeaderElectionConfig{"ns", "lease", "", kTimings, true}), std::nullopt);
  EXPECT_NE(validate(LeaderElectionConfig{"", "lease", "me", kTimings, true}), std::nullopt);
}

// ---- the elector ----------------------------------------------------------------------

kube::KubeError status(int code, const char* reason, bool retryable = false) {
  return kube::KubeError{code, reason, std::string(reason) + " (scripted)", retryable};
}

// A fake clock the test advances; the elector may read it from any thread.
class FakeClock {
 public:
  void advance(std::chrono::milliseconds by) {
    const std::lock_guard lock(mutex_);
    elapsed_ += by;
  }
  [[nodiscard]] ClockReading now() const {
    const std::lock_guard lock(mutex_);
    return at(elapsed_);
  }
  [[nodiscard]] LeaderClock function() const {
    return [this] { return now(); };
  }

 private:
  mutable std::mutex mutex_;
  std::chrono::milliseconds elapsed_{0};
};

// One Lease as the apiserver keeps it: creates fail when it exists, updates unless
// their resourceVersion is current. Gets and updates go through the scripted client,
// whose hooks a test may replace; it has no create hook, so creates are answered here.
class LeaseApi final : public kube::KubeClient {
 public:
  LeaseApi() {
    scripted.on_get = [this](const kube::ResourceRef&) -> kube::Result<json> {
      const std::lock_guard lock(mutex_);
      if (!stored_) return status(404, "NotFound");
      return *stored_;
    };
    scripted.on_update = [this](const kube::ResourceRef&, const json& object) {
      return store_update(object);
    };
    on_create = [this](const json& object) { return store_create(object); };
  }

  kube::Result<json> store_update(const json& object) {
    const std::lock_guard lock(mutex_);
    ++updates_;
    if (!stored_) return status(404, "NotFound");
    if (object["metadata"]["resourceVersion"] != (*stored_)["metadata"]["resourceVersion"])
      return status(409, "Conflict");
    return store(object);
  }

  kube::Result<json> store_create(const json& object) {
    const std::lock_guard lock(mutex_);
    ++creates_;
    if (stored_) return status(409, "AlreadyExists");
    return store(object);
  }

  // Another replica's write.
  void put(const std::string& holder, std::int64_t transitions = 0) {
    json object = lease_object(nullptr, "ns", "lease", LeaseSpec{holder, 15, kStart, kStart,
                                                                 transitions});
    const std::lock_guard lock(mutex_);
    (void)store(std::move(object));
  }

  [[nodiscard]] ObservedLease lease() const {
    const std::lock_guard lock(mutex_);
    return read_lease(stored_.value_or(json()));
  }
  [[nodiscard]] int updates() const {
    const std::lock_guard lock(mutex_);
    return updates_;
  }
  [[nodiscard]] int creates() const {
    const std::lock_guard lock(mutex_);
    return creates_;
  }

  testing::ScriptedKubeClient scripted;
  std::function<kube::Result<json>(const json&)> on_create;

  kube::Result<json> get(const kube::ResourceRef& ref) override { return scripted.get(ref); }
  kube::Result<kube::ObjectList> list(const kube::ResourceRef& ref,
                                      const kube::ListOptions& options) override {
    return scripted.list(ref, options);
  }
  kube::Result<json> create(const kube::ResourceRef& ref, const json& object) override {
    EXPECT_EQ(ref.name, "");
    EXPECT_EQ(ref.resource, "leases");
    return on_create(object);
  }
  kube::Result<json> update(const kube::ResourceRef& ref, const json& object) override {
    EXPECT_EQ(ref.name, "lease");
    return scripted.update(ref, object);
  }
  kube::Result<json> patch(const kube::ResourceRef& ref, const json& patch_body,
                           const kube::PatchOptions& options) override {
    return scripted.patch(ref, patch_body, options);
  }
  kube::Result<json> remove(const kube::ResourceRef& ref,
                            const kube::DeleteOptions& options) override {
    return scripted.remove(ref, options);
  }
  kube::Result<void> watch(const kube::ResourceRef& ref, const kube::WatchOptions& options,
                           const kube::WatchHandler& on_event, std::stop_token stop) override {
    return scripted.watch(ref, options, on_event, stop);
  }

 private:
  json store(json object) {
    object["metadata"]["resourceVersion"] = std::to_string(++version_);
    stored_ = object;
    return object;
  }

  mutable std::mutex mutex_;
  std::optional<json> stored_;
  int version_ = 0;
  int updates_ = 0;
  int creates_ = 0;
};

class LeaderElectorTest : public ::testing::Test {
 protected:
  void make(bool release_on_stop = true) {
    LeaderCallbacks callbacks;
    callbacks.on_started_leading = [this] { ++started; };
    callbacks.on_stopped_leading = [this] { ++stopped; };
    auto made = LeaderElector::make(api, {"ns", "lease", "me", kTimings, release_on_stop},
                                    clock.function(), callbacks, logger);
    ASSERT_TRUE(std::holds_alternative<std::unique_ptr<LeaderElector>>(made))
        << std::get<std::string>(made);
    elector = std::move(std::get<std::unique_ptr<LeaderElector>>(made));
  }

  void acquire() {
    make();
    EXPECT_EQ(elector->try_acquire_or_renew(), 2s);
    ASSERT_TRUE(elector->is_leader());
  }

  void TearDown() override { std::fclose(log_file); }

  std::FILE* log_file = std::tmpfile();
  common::Logger logger{common::LogLevel::kDebug, log_file};
  FakeClock clock;
  LeaseApi api;
  std::unique_ptr<LeaderElector> elector;
  std::atomic<int> started{0};
  std::atomic<int> stopped{0};
};

TEST_F(LeaderElectorTest, AcquiresWhenTheLeaseIsAbsent) {
  make();
  EXPECT_FALSE(elector->is_leader());
  EXPECT_EQ(elector->try_acquire_or_renew(), 2s);
  EXPECT_TRUE(elector->is_leader());
  EXPECT_EQ(started, 1);
  EXPECT_EQ(api.creates(), 1);
  const LeaseSpec spec = api.lease().spec;
  EXPECT_EQ(spec.holder_identity, "me");
  EXPECT_EQ(spec.lease_duration_seconds, 15);
  EXPECT_EQ(spec.renew_time, kStart);
}

TEST_F(LeaderElectorTest, DoesNotTakeALiveLease) {
  api.put("other");
  make();
  EXPECT_EQ(elector->try_acquire_or_renew(), 2s);
  clock.advance(15s);
  EXPECT_EQ(elector->try_acquire_or_renew(), 2s);
  EXPECT_FALSE(elector->is_leader());
  EXPECT_EQ(api.updates() + api.creates(), 0);
  EXPECT_EQ(api.lease().spec.holder_identity, "other");
  EXPECT_EQ(started, 0);
}

TEST_F(LeaderElectorTest, TakesOverAnExpiredLeaseWithOneMoreTransition) {
  api.put("other", 3);
  make();
  (void)elector->try_acquire_or_renew();
  clock.advance(15'001ms);
  (void)elector->try_acquire_or_renew();
  EXPECT_TRUE(elector->is_leader());
  const LeaseSpec spec = api.lease().spec;
  EXPECT_EQ(spec.holder_identity, "me");
  EXPECT_EQ(spec.lease_transitions, 4);
  EXPECT_EQ(spec.acquire_time, kStart + 15'001ms);
}

TEST_F(LeaderElectorTest, RenewsEveryRetryPeriod) {
  acquire();
  for (int renewal = 1; renewal <= 5; ++renewal) {
    clock.advance(2s);
    EXPECT_EQ(elector->try_acquire_or_renew(), 2s);
    EXPECT_TRUE(elector->is_leader());
    EXPECT_EQ(api.lease().spec.renew_time, kStart + renewal * 2s);
  }
  EXPECT_EQ(api.updates(), 5);
  EXPECT_EQ(api.lease().spec.acquire_time, kStart);
  EXPECT_EQ(started, 1);
  EXPECT_EQ(stopped, 0);
}

TEST_F(LeaderElectorTest, StopsLeadingTheInstantRenewalsHaveFailedForTheRenewDeadline) {
  acquire();
  api.scripted.on_update = [](const kube::ResourceRef&, const json&) -> kube::Result<json> {
    return status(503, "ServiceUnavailable", true);
  };
  clock.advance(2s);
  EXPECT_EQ(elector->try_acquire_or_renew(), 2s);
  clock.advance(6s);
  EXPECT_EQ(elector->try_acquire_or_renew(), 2s);
  clock.advance(1'500ms);  // 9.5 s: the next attempt is due at the deadline, not after it
  EXPECT_EQ(elector->try_acquire_or_renew(), 500ms);
  clock.advance(499ms);
  EXPECT_TRUE(elector->is_leader());
  clock.advance(1ms);
  // No attempt has run since, and none needs to.
  EXPECT_FALSE(elector->is_leader());
  EXPECT_EQ(stopped, 0);
  EXPECT_EQ(elector->try_acquire_or_renew(), 2s);
  EXPECT_EQ(stopped, 1);
  EXPECT_FALSE(elector->is_leader());
}

TEST_F(LeaderElectorTest, StopsLeadingWhenTheApiserverCannotBeReadPastTheDeadline) {
  acquire();
  api.scripted.on_get = [](const kube::ResourceRef&) -> kube::Result<json> {
    return status(0, kube::kReasonConnectionFailed, true);
  };
  clock.advance(9s);
  EXPECT_EQ(elector->try_acquire_or_renew(), 1s);
  EXPECT_TRUE(elector->is_leader());
  clock.advance(1s);
  EXPECT_FALSE(elector->is_leader());
  (void)elector->try_acquire_or_renew();
  EXPECT_EQ(stopped, 1);
}

TEST_F(LeaderElectorTest, AConflictWhenTakingOverLeavesAFollower) {
  api.put("");
  make();
  api.scripted.on_update = [](const kube::ResourceRef&, const json&) -> kube::Result<json> {
    return status(409, "Conflict");
  };
  EXPECT_EQ(elector->try_acquire_or_renew(), 2s);
  EXPECT_FALSE(elector->is_leader());
  EXPECT_EQ(started, 0);
}

TEST_F(LeaderElectorTest, AnotherReplicaCreatingTheLeaseFirstLeavesAFollower) {
  make();
  api.on_create = [this](const json&) -> kube::Result<json> {
    api.put("other");
    return status(409, "AlreadyExists");
  };
  EXPECT_EQ(elector->try_acquire_or_renew(), 2s);
  EXPECT_FALSE(elector->is_leader());
  EXPECT_EQ(elector->try_acquire_or_renew(), 2s);  // and it is live
  EXPECT_FALSE(elector->is_leader());
  EXPECT_EQ(api.lease().spec.holder_identity, "other");
}

TEST_F(LeaderElectorTest, AConflictWhileLeadingReadsAgainAndYieldsToTheNewHolder) {
  acquire();
  api.scripted.on_update = [this](const kube::ResourceRef&, const json&) -> kube::Result<json> {
    api.put("other", 1);  // it took the Lease just before my renewal landed
    return status(409, "Conflict");
  };
  clock.advance(2s);
  (void)elector->try_acquire_or_renew();
  EXPECT_FALSE(elector->is_leader());
  EXPECT_EQ(stopped, 1);
}

TEST_F(LeaderElectorTest, AConflictWhileLeadingFromAnUnrelatedWriteKeepsLeading) {
  acquire();
  int conflicts = 0;
  api.scripted.on_update = [&](const kube::ResourceRef&, const json& object) {
    if (conflicts++ == 0) return kube::Result<json>(status(409, "Conflict"));
    return api.store_update(object);
  };
  clock.advance(2s);
  EXPECT_EQ(elector->try_acquire_or_renew(), 2s);
  EXPECT_TRUE(elector->is_leader());
  EXPECT_EQ(api.lease().spec.renew_time, kStart + 2s);
  EXPECT_EQ(stopped, 0);
}

TEST_F(LeaderElectorTest, StopsLeadingAtOnceWhenTheLeaseNamesAnotherHolder) {
  acquire();
  api.put("other", 1);
  clock.advance(2s);
  (void)elector->try_acquire_or_renew();
  EXPECT_FALSE(elector->is_leader());
  EXPECT_EQ(stopped, 1);
  EXPECT_EQ(api.lease().spec.holder_identity, "other");
}

TEST_F(LeaderElectorTest, ReleasesTheLeaseWhenStopped) {
  make();
  std::jthread thread([this](std::stop_token stop) { elector->run(stop); });
  for (int waited = 0; started == 0 && waited < 5'000; ++waited) std::this_thread::sleep_for(1ms);
  ASSERT_EQ(started, 1);
  thread.request_stop();
  thread.join();
  EXPECT_FALSE(elector->is_leader());
  EXPECT_EQ(stopped, 1);
  const LeaseSpec spec = api.lease().spec;
  EXPECT_EQ(spec.holder_identity, "");
  EXPECT_EQ(spec.lease_duration_seconds, 1);
  EXPECT_EQ(spec.renew_time, kStart);
  EXPECT_EQ(spec.lease_transitions, 0);

  // A follower takes a released Lease at its first attempt.
  FakeClock other_clock;
  auto other = LeaderElector::make(api, {"ns", "lease", "other", kTimings, true},
                                   other_clock.function(), {}, logger);
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<LeaderElector>>(other));
  auto& follower = *std::get<std::unique_ptr<LeaderElector>>(other);
  (void)follower.try_acquire_or_renew();
  EXPECT_TRUE(follower.is_leader());
  EXPECT_EQ(api.lease().spec.lease_transitions, 1);
}

TEST_F(LeaderElectorTest, KeepsTheLeaseWhenStoppedWithoutRelease) {
  make(false);
  std::jthread thread([this](std::stop_token stop) { elector->run(stop); });
  for (int waited = 0; started == 0 && waited < 5'000; ++waited) std::this_thread::sleep_for(1ms);
  ASSERT_EQ(started, 1);
  thread.request_stop();
  thread.join();
  EXPECT_FALSE(elector->is_leader());
  EXPECT_EQ(stopped, 1);
  EXPECT_EQ(api.lease().spec.holder_identity, "me");
  EXPECT_EQ(api.updates(), 0);
}

TEST_F(LeaderElectorTest, DoesNotReleaseALeaseTakenOverMeanwhile) {
  acquire();
  api.put("other", 1);
  EXPECT_TRUE(elector->step_down_and_release());
  EXPECT_EQ(stopped, 1);
  EXPECT_EQ(api.lease().spec.holder_identity, "other");
  EXPECT_EQ(api.updates(), 0);
}

TEST_F(LeaderElectorTest, RefusesTimingsThatCannotKeepOneLeader) {
  auto made = LeaderElector::make(api, {"ns", "lease", "me", LeaseTimings{10s, 10s, 2s}, true},
                                  clock.function(), {}, logger);
  ASSERT_TRUE(std::holds_alternative<std::string>(made));
  EXPECT_NE(std::get<std::string>(made).find("renew deadline"), std::string::npos);
}

}  // namespace
}  // namespace autocanary::coordinator

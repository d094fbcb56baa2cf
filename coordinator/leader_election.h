// Leader election on a coordination.k8s.io/v1 Lease, so that of several coordinator
// replicas exactly one acts. The decision is a pure function of the Lease as read and
// of what this replica remembers; LeaderElector reads, decides and writes in a loop.
//
// The holder's clock is never trusted: a Lease held by another counts as expired only
// when this replica has seen it unchanged for leaseDurationSeconds on its own
// monotonic clock. A leader stops leading when it has not confirmed a renewal within
// the renew deadline, which is shorter than the lease duration, so it has stopped
// before anyone else may take over.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <stop_token>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "common/log.h"
#include "common/rfc3339.h"
#include "kube/kube_client.h"

namespace autocanary::coordinator {

using MonotonicTime = std::chrono::steady_clock::time_point;

// One reading of both clocks: wall time is what the Lease records, monotonic time
// is what every interval is measured with (a wall clock may be stepped).
struct ClockReading {
  common::SystemTime wall;
  MonotonicTime monotonic;
};

// Must be safe to call from any thread: is_leader() reads it.
using LeaderClock = std::function<ClockReading()>;

[[nodiscard]] ClockReading system_clock_reading();

struct LeaseTimings {
  // How long others wait, from when they saw the Lease last change, before taking it.
  std::chrono::milliseconds lease_duration{15'000};
  // How long a leader keeps leading without a confirmed renewal.
  std::chrono::milliseconds renew_deadline{10'000};
  // Between attempts to acquire, and between renewals.
  std::chrono::milliseconds retry_period{2'000};
  // How long a replica that is not leading lets a missing Lease stay missing before it
  // creates it. Zero: at once. An installer that creates the Lease itself (the chart,
  // so that uninstalling removes it) may start the replicas first; the wait keeps their
  // create from beating the installer's, which would then fail on AlreadyExists.
  std::chrono::milliseconds missing_lease_wait{0};
};

// An error when the timings cannot keep one leader: each must be positive and
// lease_duration > renew_deadline > 1.2 × retry_period (room for several renewals);
// missing_lease_wait must not be negative.
[[nodiscard]] std::optional<std::string> validate(const LeaseTimings& timings);

// The Lease's spec, the record of the election.
struct LeaseSpec {
  std::string holder_identity;  // empty: free (released)
  std::int64_t lease_duration_seconds = 0;
  std::optional<common::SystemTime> acquire_time;
  std::optional<common::SystemTime> renew_time;
  std::int64_t lease_transitions = 0;

  bool operator==(const LeaseSpec&) const = default;
};

struct ObservedLease {
  LeaseSpec spec;
  std::string resource_version;

  bool operator==(const ObservedLease&) const = default;
};

// The Lease object as read; absent or malformed fields read as empty, so a Lease
// another tool wrote badly is simply free or expired, never an exception.
[[nodiscard]] ObservedLease read_lease(const nlohmann::json& lease);

// MicroTime as the apiserver stores it: "2026-11-22T10:00:00.123456Z".
[[nodiscard]] std::string format_micro_time(common::SystemTime time);

// What an elector remembers between attempts.
struct ElectionMemory {
  std::optional<ObservedLease> observed;  // the Lease as last read or written
  MonotonicTime observed_at{};            // when `observed` last changed, on my clock
  bool leading = false;
  MonotonicTime renewed_at{};  // when my last confirmed write as leader was sent
  std::optional<MonotonicTime> missing_since;  // when I first read no Lease, since it last existed
};

enum class LeaseAction {
  kCreate,       // there is no Lease (and missing_lease_wait has passed): create it, held by me
  kTakeOver,     // update it to hold it: free, expired, or mine from before
  kRenew,        // update the renewTime of the Lease I lead with
  kFollow,       // another holder's Lease is live: try again later
  kStopLeading,  // my renewals failed past the deadline, or the Lease names another holder
};

struct ElectionDecision {
  LeaseAction action = LeaseAction::kFollow;
  LeaseSpec write;        // for kCreate, kTakeOver, kRenew: the spec to write
  ElectionMemory memory;  // `memory` with the observation brought up to date
  std::string reason;     // for logs
};

// The pure core. `lease` is the Lease as just read (nullopt: NotFound), `now` a
// reading taken after the read. Writes it asks for must be conditional: create
// (AlreadyExists: someone else won) or update on the read's resourceVersion.
[[nodiscard]] ElectionDecision decide_election(const std::optional<ObservedLease>& lease,
                                               const ElectionMemory& memory,
                                               std::string_view identity, ClockReading now,
                                               const LeaseTimings& timings);

// A leader whose last confirmed renewal is older than the renew deadline.
[[nodiscard]] bool leadership_lapsed(const ElectionMemory& memory, MonotonicTime now,
                                     const LeaseTimings& timings) noexcept;

// The Lease a spec is written as: a new object for a create, else `read` with its
// spec fields replaced (metadata.resourceVersion kept, so the update is conditional).
[[nodiscard]] nlohmann::json lease_object(const nlohmann::json& read,
                                          const std::string& namespace_name,
                                          const std::string& name, const LeaseSpec& spec);

struct LeaderElectionConfig {
  std::string lease_namespace;
  std::string lease_name;
  std::string identity;  // unique per replica, e.g. pod name + a random suffix
  LeaseTimings timings;
  // On stop, a leader frees the Lease so another replica takes over at once.
  // Off simulates a crash: the others wait for the lease to expire.
  bool release_on_stop = true;
};

// An error when the configuration cannot work (empty names, bad timings).
[[nodiscard]] std::optional<std::string> validate(const LeaderElectionConfig& config);

// Called on run()'s thread, which renews only after they return: start or stop
// work elsewhere, do not do it here. on_stopped_leading runs before the Lease is
// released, so the leader's work has stopped before another replica can start it.
struct LeaderCallbacks {
  std::function<void()> on_started_leading;
  std::function<void()> on_stopped_leading;
};

class LeaderElector {
 public:
  // The client's calls should end well within the renew deadline (request timeout
  // and retries), or on_stopped_leading waits for a hanging call; is_leader() turns
  // false at the deadline regardless.
  [[nodiscard]] static std::variant<std::unique_ptr<LeaderElector>, std::string> make(
      kube::KubeClient& client, LeaderElectionConfig config, LeaderClock clock,
      LeaderCallbacks callbacks, common::Logger& logger);

  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // Tries to acquire, and renews while leading, every retry period (attempts to
  // acquire are spread by up to 20 %) until `stop` is requested; then stops leading
  // and, if configured, releases the Lease.
  void run(std::stop_token stop);

  // One read, decision and write; returns how long to wait before the next. run()
  // calls it; tests call it directly with a fake clock.
  [[nodiscard]] std::chrono::milliseconds try_acquire_or_renew();

  // Stops leading, then (if still the holder) frees the Lease. run() calls it on
  // stop; true when nothing was held or the release was written.
  [[nodiscard]] bool step_down_and_release();

  // Cheap and callable from any thread. False from the instant the renew deadline
  // passes without a confirmed renewal, even while a call is still in flight.
  [[nodiscard]] bool is_leader() const;

  [[nodiscard]] const std::string& identity() const noexcept { return config_.identity; }

 private:
  LeaderElector(kube::KubeClient& client, LeaderElectionConfig config, LeaderClock clock,
                LeaderCallbacks callbacks, common::Logger& logger);

  [[nodiscard]] kube::ResourceRef lease_ref() const;
  void start_leading(MonotonicTime renewed_at);
  // A lost lease is a warning; stopping on request is not.
  void stop_leading(std::string_view reason, common::LogLevel level = common::LogLevel::kWarn);
  [[nodiscard]] std::chrono::milliseconds delay_while_leading(MonotonicTime now) const;

  kube::KubeClient& client_;
  const LeaderElectionConfig config_;
  const LeaderClock clock_;
  const LeaderCallbacks callbacks_;
  common::Logger& logger_;

  ElectionMemory memory_;  // run()'s thread only
  // Monotonic nanoseconds until which I lead; the lowest int64 when not leading.
  std::atomic<std::int64_t> leading_until_;
  std::minstd_rand jitter_;
};

[[nodiscard]] const char* to_string(LeaseAction action) noexcept;

}  // namespace autocanary::coordinator

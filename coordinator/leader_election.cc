#include "coordinator/leader_election.h"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <limits>
#include <mutex>

#include "common/json_fields.h"
#include "kube/resources.h"

namespace autocanary::coordinator {

namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;

constexpr std::int64_t kNotLeading = std::numeric_limits<std::int64_t>::min();
// A released Lease: the shortest duration the apiserver accepts, in case another
// implementation honours only expiry and not the empty holder.
constexpr std::int64_t kReleasedDurationSeconds = 1;

std::int64_t int_field(const nlohmann::json* object, std::string_view key) {
  const nlohmann::json* value = common::child(object, key);
  return value != nullptr && value->is_number_integer() ? value->get<std::int64_t>() : 0;
}

std::optional<common::SystemTime> time_field(const nlohmann::json* object, std::string_view key) {
  const std::string text = common::string_field(object, key);
  if (text.empty()) return std::nullopt;
  return common::parse_rfc3339(text);
}

void set_time(nlohmann::json& spec, const char* key, const std::optional<common::SystemTime>& at) {
  if (at)
    spec[key] = format_micro_time(*at);
  else
    spec.erase(key);
}

// leaseDurationSeconds is whole seconds: round up, so others never wait less than asked.
std::int64_t whole_seconds_up(milliseconds duration) {
  return std::max<std::int64_t>(1, (duration.count() + 999) / 1000);
}

std::int64_t monotonic_ns(MonotonicTime time) {
  return duration_cast<nanoseconds>(time.time_since_epoch()).count();
}

LeaseSpec held_by(std::string_view identity, common::SystemTime now, const LeaseTimings& timings,
                  std::int64_t transitions) {
  return LeaseSpec{std::string(identity), whole_seconds_up(timings.lease_duration), now, now,
                   transitions};
}

ElectionDecision decided(ElectionDecision decision, LeaseAction action, std::string reason,
                         LeaseSpec write = {}) {
  decision.action = action;
  decision.reason = std::move(reason);
  decision.write = std::move(write);
  return decision;
}

}  // namespace

ClockReading system_clock_reading() {
  return {std::chrono::system_clock::now(), std::chrono::steady_clock::now()};
}

std::optional<std::string> validate(const LeaseTimings& timings) {
  const auto positive = [](milliseconds duration) { return duration > milliseconds::zero(); };
  if (!positive(timings.lease_duration) || !positive(timings.renew_deadline) ||
      !positive(timings.retry_period))
    return "lease duration, renew deadline and retry period must be positive";
  if (timings.missing_lease_wait < milliseconds::zero())
    return "the wait for a missing Lease must not be negative";
  if (timings.lease_duration <= timings.renew_deadline)
    return "the lease duration must be longer than the renew deadline";
  // 5 × deadline > 6 × retry is deadline > 1.2 × retry without floating point.
  if (timings.renew_deadline.count() * 5 <= timings.retry_period.count() * 6)
    return "the renew deadline must be longer than 1.2 × the retry period";
  return std::nullopt;
}

ObservedLease read_lease(const nlohmann::json& lease) {
  const nlohmann::json* spec = common::child(&lease, "spec");
  ObservedLease observed;
  observed.spec.holder_identity = common::string_field(spec, "holderIdentity");
  observed.spec.lease_duration_seconds = int_field(spec, "leaseDurationSeconds");
  observed.spec.acquire_time = time_field(spec, "acquireTime");
  observed.spec.renew_time = time_field(spec, "renewTime");
  observed.spec.lease_transitions = int_field(spec, "leaseTransitions");
  observed.resource_version = common::metadata_string(lease, "resourceVersion");
  return observed;
}

std::string format_micro_time(common::SystemTime time) {
  const auto second = std::chrono::floor<std::chrono::seconds>(time);
  const auto micros = duration_cast<std::chrono::microseconds>(time - second).count();
  std::string text = common::format_rfc3339(second);  // "…:05Z"
  char fraction[32];
  std::snprintf(fraction, sizeof fraction, ".%06lldZ", static_cast<long long>(micros));
  text.pop_back();
  return text + fraction;
}

bool leadership_lapsed(const ElectionMemory& memory, MonotonicTime now,
                       const LeaseTimings& timings) noexcept {
  return memory.leading && now >= memory.renewed_at + timings.renew_deadline;
}

ElectionDecision decide_election(const std::optional<ObservedLease>& lease,
                                 const ElectionMemory& memory, std::string_view identity,
                                 ClockReading now, const LeaseTimings& timings) {
  ElectionDecision decision;
  decision.memory = memory;
  // Any write, even one keeping the spec, restarts the wait: a holder proves it is
  // alive by changing the Lease, and we time that with our own clock only.
  if (lease != memory.observed) {
    decision.memory.observed = lease;
    decision.memory.observed_at = now.monotonic;
  }

  if (leadership_lapsed(memory, now.monotonic, timings))
    return decided(std::move(decision), LeaseAction::kStopLeading,
                   "no renewal was confirmed within the renew deadline");
  if (!lease) {
    // A leader keeps its term and recreates the Lease at once; anyone else gives
    // whoever installs the Lease the time to do so first.
    if (!memory.leading) {
      if (!decision.memory.missing_since) decision.memory.missing_since = now.monotonic;
      const auto missing = now.monotonic - *decision.memory.missing_since;
      if (missing < timings.missing_lease_wait)
        return decided(std::move(decision), LeaseAction::kFollow,
                       "there is no Lease; waiting " +
                           std::to_string(
                               duration_cast<milliseconds>(timings.missing_lease_wait - missing)
                                   .count()) +
                           " ms for its installer before creating it");
    }
    return decided(std::move(decision), LeaseAction::kCreate, "there is no Lease",
                   held_by(identity, now.wall, timings, 0));
  }
  decision.memory.missing_since.reset();

  const LeaseSpec& current = lease->spec;
  if (current.holder_identity == identity) {
    if (memory.leading) {
      LeaseSpec renewed = current;
      renewed.lease_duration_seconds = whole_seconds_up(timings.lease_duration);
      renewed.renew_time = now.wall;
      return decided(std::move(decision), LeaseAction::kRenew, "renewing", std::move(renewed));
    }
    // Mine from before (a restart with the same identity, or a lapse): the holder
    // does not change, so neither do the transitions; the term starts now.
    return decided(std::move(decision), LeaseAction::kTakeOver, "the Lease names me already",
                   held_by(identity, now.wall, timings, current.lease_transitions));
  }
  if (memory.leading)
    return decided(std::move(decision), LeaseAction::kStopLeading,
                   current.holder_identity.empty() ? "the Lease was released by someone else"
                                                   : "the Lease names another holder");

  const LeaseSpec taken = held_by(identity, now.wall, timings, current.lease_transitions + 1);
  if (current.holder_identity.empty())
    return decided(std::move(decision), LeaseAction::kTakeOver, "the Lease is free", taken);

  const milliseconds duration = current.lease_duration_seconds > 0
                                    ? milliseconds(current.lease_duration_seconds * 1000)
                                    : timings.lease_duration;
  const MonotonicTime expires = decision.memory.observed_at + duration;
  if (now.monotonic <= expires) {
    const auto left = duration_cast<milliseconds>(expires - now.monotonic).count();
    return decided(std::move(decision), LeaseAction::kFollow,
                   "held by " + current.holder_identity + "; expires in " + std::to_string(left) +
                       " ms unless renewed");
  }
  return decided(std::move(decision), LeaseAction::kTakeOver,
                 "the Lease of " + current.holder_identity + " expired", taken);
}

nlohmann::json lease_object(const nlohmann::json& read, const std::string& namespace_name,
                            const std::string& name, const LeaseSpec& spec) {
  nlohmann::json object = read.is_object()
                              ? read
                              : nlohmann::json{{"apiVersion", "coordination.k8s.io/v1"},
                                               {"kind", "Lease"},
                                               {"metadata",
                                                {{"namespace", namespace_name}, {"name", name}}}};
  if (!object["spec"].is_object()) object["spec"] = nlohmann::json::object();
  nlohmann::json& out = object["spec"];
  out["holderIdentity"] = spec.holder_identity;
  out["leaseDurationSeconds"] = spec.lease_duration_seconds;
  set_time(out, "acquireTime", spec.acquire_time);
  set_time(out, "renewTime", spec.renew_time);
  out["leaseTransitions"] = spec.lease_transitions;
  return object;
}

std::optional<std::string> validate(const LeaderElectionConfig& config) {
  if (config.lease_namespace.empty() || config.lease_name.empty())
    return "the Lease needs a namespace and a name";
  if (config.identity.empty()) return "the identity must not be empty";
  return validate(config.timings);
}

std::variant<std::unique_ptr<LeaderElector>, std::string> LeaderElector::make(
    kube::KubeClient& client, LeaderElectionConfig config, LeaderClock clock,
    LeaderCallbacks callbacks, common::Logger& logger) {
  if (auto error = validate(config)) return "leader election: " + *error;
  if (!clock) return std::string("leader election: no clock");
  return std::unique_ptr<LeaderElector>(new LeaderElector(
      client, std::move(config), std::move(clock), std::move(callbacks), logger));
}

LeaderElector::LeaderElector(kube::KubeClient& client, LeaderElectionConfig config,
                             LeaderClock clock, LeaderCallbacks callbacks, common::Logger& logger)
    : client_(client),
      config_(std::move(config)),
      clock_(std::move(clock)),
      callbacks_(std::move(callbacks)),
      logger_(logger),
      leading_until_(kNotLeading),
      jitter_(std::random_device{}()) {}

kube::ResourceRef LeaderElector::lease_ref() const {
  return kube::leases(config_.lease_namespace, config_.lease_name);
}

bool LeaderElector::is_leader() const {
  const std::int64_t until = leading_until_.load(std::memory_order_acquire);
  return until != kNotLeading && monotonic_ns(clock_().monotonic) < until;
}

void LeaderElector::start_leading(MonotonicTime renewed_at) {
  const bool was_leading = memory_.leading;
  memory_.leading = true;
  memory_.renewed_at = renewed_at;
  leading_until_.store(monotonic_ns(renewed_at + config_.timings.renew_deadline),
                       std::memory_order_release);
  if (was_leading) return;
  logger_.info("started leading", {{"lease", config_.lease_namespace + "/" + config_.lease_name},
                                   {"identity", config_.identity}});
  if (callbacks_.on_started_leading) callbacks_.on_started_leading();
}

void LeaderElector::stop_leading(std::string_view reason, common::LogLevel level) {
  if (!memory_.leading) return;
  memory_.leading = false;
  leading_until_.store(kNotLeading, std::memory_order_release);
  logger_.log(level, "stopped leading",
              {{"lease", config_.lease_namespace + "/" + config_.lease_name},
               {"identity", config_.identity},
               {"reason", reason}});
  if (callbacks_.on_stopped_leading) callbacks_.on_stopped_leading();
}

milliseconds LeaderElector::delay_while_leading(MonotonicTime now) const {
  // Wake at the deadline at the latest, so on_stopped_leading is not late.
  const auto to_deadline = memory_.renewed_at + config_.timings.renew_deadline - now;
  return std::clamp(std::chrono::ceil<milliseconds>(to_deadline), milliseconds::zero(),
                    config_.timings.retry_period);
}

milliseconds LeaderElector::try_acquire_or_renew() {
  const kube::ResourceRef ref = lease_ref();
  const milliseconds retry = config_.timings.retry_period;
  const nlohmann::json lease_name = config_.lease_namespace + "/" + config_.lease_name;
  // A Conflict while leading means the Lease changed under me: read it again at
  // once, rather than keep leading for a retry period on a stale view.
  for (int attempt = 0;; ++attempt) {
    auto read = client_.get(ref);
    const ClockReading now = clock_();
    std::optional<ObservedLease> lease;
    if (read) {
      lease = read_lease(*read);
    } else if (!read.error().is_not_found()) {
      logger_.warn("cannot read the Lease", {{"lease", lease_name},
                                             {"error", read.error().describe()}});
      if (leadership_lapsed(memory_, now.monotonic, config_.timings))
        stop_leading("no renewal was confirmed within the renew deadline");
      return memory_.leading ? delay_while_leading(now.monotonic) : retry;
    }

    ElectionDecision decision =
        decide_election(lease, memory_, config_.identity, now, config_.timings);
    memory_ = std::move(decision.memory);
    switch (decision.action) {
      case LeaseAction::kFollow:
        logger_.debug("following", {{"lease", lease_name}, {"reason", decision.reason}});
        return retry;
      case LeaseAction::kStopLeading:
        stop_leading(decision.reason);
        return retry;
      case LeaseAction::kCreate:
      case LeaseAction::kTakeOver:
      case LeaseAction::kRenew:
        break;
    }

    const bool create = decision.action == LeaseAction::kCreate;
    const nlohmann::json object = lease_object(create ? nlohmann::json() : *read,
                                               config_.lease_namespace, config_.lease_name,
                                               decision.write);
    auto written = create ? client_.create(ref.named(""), object) : client_.update(ref, object);
    if (written) {
      memory_.observed = read_lease(*written);
      memory_.observed_at = now.monotonic;
      if (decision.action != LeaseAction::kRenew)
        logger_.info("acquired the Lease", {{"lease", lease_name}, {"reason", decision.reason}});
      // The write was sent after `now`, so the lease runs from no earlier than that.
      start_leading(now.monotonic);
      return retry;
    }

    const kube::KubeError& error = written.error();
    const bool lost_race = error.is_conflict() || error.is_already_exists();
    if (lost_race && memory_.leading && attempt == 0) continue;
    if (lost_race && !memory_.leading) {
      logger_.info("another replica wrote the Lease first", {{"lease", lease_name}});
      return retry;
    }
    logger_.warn("cannot write the Lease", {{"lease", lease_name},
                                            {"action", to_string(decision.action)},
                                            {"error", error.describe()}});
    const MonotonicTime after = clock_().monotonic;
    if (leadership_lapsed(memory_, after, config_.timings))
      stop_leading("no renewal was confirmed within the renew deadline");
    return memory_.leading ? delay_while_leading(after) : retry;
  }
}

bool LeaderElector::step_down_and_release() {
  const bool named_me =
      memory_.observed && memory_.observed->spec.holder_identity == config_.identity;
  stop_leading("stopping", common::LogLevel::kInfo);
  if (!config_.release_on_stop || !named_me) return true;

  const nlohmann::json lease_name = config_.lease_namespace + "/" + config_.lease_name;
  auto read = client_.get(lease_ref());
  if (!read) {
    if (read.error().is_not_found()) return true;
    logger_.warn("cannot release the Lease",
                 {{"lease", lease_name}, {"error", read.error().describe()}});
    return false;
  }
  const ObservedLease lease = read_lease(*read);
  if (lease.spec.holder_identity != config_.identity) return true;  // taken over meanwhile

  // No holder and a fresh renewTime: others take it at their next attempt.
  LeaseSpec released = lease.spec;
  released.holder_identity.clear();
  released.lease_duration_seconds = kReleasedDurationSeconds;
  released.acquire_time.reset();
  released.renew_time = clock_().wall;
  auto written = client_.update(
      lease_ref(), lease_object(*read, config_.lease_namespace, config_.lease_name, released));
  if (!written) {
    logger_.warn("cannot release the Lease",
                 {{"lease", lease_name}, {"error", written.error().describe()}});
    return false;
  }
  memory_.observed = read_lease(*written);
  memory_.observed_at = clock_().monotonic;
  logger_.info("released the Lease", {{"lease", lease_name}, {"identity", config_.identity}});
  return true;
}

void LeaderElector::run(std::stop_token stop) {
  std::mutex mutex;
  std::condition_variable_any wake;
  while (!stop.stop_requested()) {
    milliseconds delay = try_acquire_or_renew();
    if (!memory_.leading) {
      // Spread the attempts of replicas that started together.
      std::uniform_int_distribution<std::int64_t> spread(0, delay.count() / 5);
      delay += milliseconds(spread(jitter_));
    }
    std::unique_lock lock(mutex);
    // Only a stop request ends the wait early.
    (void)wake.wait_for(lock, stop, delay, [] { return false; });
  }
  (void)step_down_and_release();
}

const char* to_string(LeaseAction action) noexcept {
  switch (action) {
    case LeaseAction::kCreate: return "create";
    case LeaseAction::kTakeOver: return "take over";
    case LeaseAction::kRenew: return "renew";
    case LeaseAction::kFollow: return "follow";
    case LeaseAction::kStopLeading: return "stop leading";
  }
  return "unknown";
}

}  // namespace autocanary::coordinator

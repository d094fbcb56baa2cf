#include "shim/probe_loop.h"

#include <algorithm>

namespace autocanary::shim {

namespace {

using Seconds = std::chrono::duration<double>;

// The loop wakes at least this often, so /live sees it turning.
constexpr auto kHeartbeat = std::chrono::seconds(1);
// Beyond one probe's timeout, how late the loop may be before /live fails.
constexpr auto kStallSlack = std::chrono::seconds(10);

std::vector<ProbeRule> rules_of(const std::vector<ProbeTarget>& targets) {
  std::vector<ProbeRule> rules;
  rules.reserve(targets.size());
  for (const auto& target : targets)
    rules.push_back({target.name, target.spec.timing.success_threshold, target.spec.timing.failure_threshold});
  return rules;
}

Seconds::rep monotonic_seconds(ProbeLoop::Clock::time_point at) {
  return std::chrono::duration_cast<Seconds>(at.time_since_epoch()).count();
}

}  // namespace

ProbeLoop::ProbeLoop(std::vector<ProbeTarget> targets, WarmUp warm_up, Prober& prober, ShimMetrics& metrics,
                     common::Logger& logger, Clock::time_point started)
    : targets_(std::move(targets)),
      prober_(prober),
      metrics_(metrics),
      logger_(logger),
      started_(started),
      readiness_(rules_of(targets_), warm_up, started),
      reported_(targets_.size(), false),
      last_progress_(started.time_since_epoch().count()) {
  std::chrono::milliseconds longest{0};
  for (const auto& target : targets_) longest = std::max(longest, target.spec.timing.timeout);
  stall_limit_ = longest + kStallSlack;
  verdict_ = {readiness_.ready(), readiness_.reason()};
}

void ProbeLoop::run() {
  std::vector<Clock::time_point> due;
  due.reserve(targets_.size());
  for (const auto& target : targets_) due.push_back(started_ + target.spec.timing.initial_delay);

  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    // Every probe that is due, the most overdue first; a probe slower than its
    // period runs again at once, after the others had their turn.
    for (;;) {
      const auto next = std::min_element(due.begin(), due.end());
      if (next == due.end() || *next > Clock::now()) break;
      const auto index = static_cast<std::size_t>(next - due.begin());
      probe(index);
      const auto after = Clock::now();
      last_progress_.store(after.time_since_epoch().count(), std::memory_order_relaxed);
      *next = std::max(*next + targets_[index].spec.timing.period, after);
      if (const std::lock_guard check(mutex_); stopping_) return;
    }
    const auto now = Clock::now();
    last_progress_.store(now.time_since_epoch().count(), std::memory_order_relaxed);
    const bool was_ready = readiness_.ready();
    readiness_.update(now);  // the warm-up may have ended
    publish(was_ready);

    auto wake = now + kHeartbeat;
    if (!due.empty()) wake = std::min(wake, *std::min_element(due.begin(), due.end()));
    if (const auto warm_up_ends = readiness_.warm_up_ends(); warm_up_ends && *warm_up_ends > now)
      wake = std::min(wake, *warm_up_ends);
    lock.lock();
    wake_.wait_until(lock, wake, [this] { return stopping_; });
  }
}

void ProbeLoop::stop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  prober_.cancel();
}

Verdict ProbeLoop::verdict() const {
  const std::lock_guard lock(mutex_);
  return verdict_;
}

bool ProbeLoop::alive(Clock::time_point now) const noexcept {
  const Clock::time_point last{Clock::duration(last_progress_.load(std::memory_order_relaxed))};
  return now - last < stall_limit_;
}

void ProbeLoop::probe(std::size_t index) {
  const ProbeTarget& target = targets_[index];
  const auto begin = Clock::now();
  const ProbeOutcome outcome = prober_.run(target);
  const auto end = Clock::now();
  if (const std::lock_guard lock(mutex_); stopping_) return;  // cancelled, not the app's fault

  metrics_.observe_probe(index, outcome.success, Seconds(end - begin).count());
  const bool was_passing = readiness_.passing(index);
  const bool was_ready = readiness_.ready();
  readiness_.record(index, outcome.success, outcome.detail, end);

  if (!reported_[index]) {
    reported_[index] = true;
    logger_.info("first probe result", {{"probe", target.name},
                                        {"success", outcome.success},
                                        {"detail", outcome.detail},
                                        {"secondsSinceStart", Seconds(end - started_).count()},
                                        {"monotonicSeconds", monotonic_seconds(end)}});
  } else if (logger_.enabled(common::LogLevel::kDebug)) {
    logger_.debug("probe result", {{"probe", target.name},
                                   {"success", outcome.success},
                                   {"detail", outcome.detail},
                                   {"seconds", Seconds(end - begin).count()}});
  }
  if (readiness_.passing(index) != was_passing)
    logger_.info(was_passing ? "probe failing" : "probe passing", {{"probe", target.name}, {"detail", outcome.detail}});
  publish(was_ready);
}

void ProbeLoop::publish(bool was_ready) {
  const bool ready = readiness_.ready();
  metrics_.set_ready(ready);
  metrics_.set_flaps(readiness_.flaps());
  if (const auto time_to_ready = readiness_.time_to_ready())
    metrics_.set_time_to_ready(Seconds(*time_to_ready).count());
  if (ready != was_ready) {
    if (ready) {
      logger_.info("ready", {{"flaps", readiness_.flaps()},
                             {"secondsSinceStart", Seconds(Clock::now() - started_).count()}});
    } else {
      logger_.warn("not ready", {{"reason", readiness_.reason()}, {"flaps", readiness_.flaps()}});
    }
  }
  const std::lock_guard lock(mutex_);
  if (verdict_.ready != ready || verdict_.reason != readiness_.reason()) verdict_ = {ready, readiness_.reason()};
}

}  // namespace autocanary::shim

#include "shim/readiness.h"

#include <algorithm>

#include "common/duration.h"

namespace autocanary::shim {

namespace {

// Tenths of a second are enough to read a warm-up's progress.
std::string tenths(std::chrono::nanoseconds duration) {
  return common::format_duration(std::chrono::floor<std::chrono::milliseconds>(duration) / 100 * 100);
}

std::string times(int count) { return std::to_string(count) + (count == 1 ? " time" : " times"); }

}  // namespace

Readiness::Readiness(std::vector<ProbeRule> probes, WarmUp warm_up, TimePoint started)
    : warm_up_(warm_up), started_(started) {
  probes_.reserve(probes.size());
  for (auto& rule : probes) probes_.emplace_back().rule = std::move(rule);
  evaluate(started);
}

void Readiness::record(std::size_t index, bool success, std::string_view detail, TimePoint now) {
  ProbeState& probe = probes_.at(index);
  probe.seen = true;
  probe.detail.assign(detail);
  if (success) {
    probe.failures_in_row = 0;
    ++probe.successes_in_row;
    if (!probe.passing && probe.successes_in_row >= probe.rule.success_threshold) probe.passing = true;
  } else {
    probe.successes_in_row = 0;
    ++probe.failures_in_row;
    if (probe.passing && probe.failures_in_row >= probe.rule.failure_threshold) probe.passing = false;
  }
  evaluate(now);
}

void Readiness::update(TimePoint now) { evaluate(now); }

std::optional<Readiness::TimePoint> Readiness::warm_up_ends() const noexcept {
  if (ready_ || !all_passing_since_) return std::nullopt;
  const bool enough_successes = std::all_of(probes_.begin(), probes_.end(), [&](const ProbeState& probe) {
    return probe.successes_in_row >= warm_up_.successes;
  });
  if (!enough_successes) return std::nullopt;
  return *all_passing_since_ + warm_up_.time;
}

bool Readiness::warm_up_done(TimePoint now) const {
  if (!all_passing_since_ || now - *all_passing_since_ < warm_up_.time) return false;
  return std::all_of(probes_.begin(), probes_.end(),
                     [&](const ProbeState& probe) { return probe.successes_in_row >= warm_up_.successes; });
}

void Readiness::evaluate(TimePoint now) {
  const bool all_passing =
      std::all_of(probes_.begin(), probes_.end(), [](const ProbeState& probe) { return probe.passing; });
  if (!all_passing) {
    all_passing_since_.reset();
  } else if (!all_passing_since_) {
    all_passing_since_ = now;
  }
  if (ready_ && !all_passing) {
    ready_ = false;
    ++flaps_;
  } else if (!ready_ && warm_up_done(now)) {
    ready_ = true;
    if (!time_to_ready_) time_to_ready_ = now - started_;
  }
  reason_ = ready_ ? "ready" : explain(now);
}

std::string Readiness::explain(TimePoint now) const {
  const auto failing = std::find_if(probes_.begin(), probes_.end(), [](const ProbeState& p) { return !p.passing; });
  if (failing != probes_.end()) {
    std::string reason;
    if (!failing->seen) {
      reason = "waiting for the first result of " + failing->rule.name;
    } else if (failing->failures_in_row > 0) {
      reason = failing->rule.name + " failing: " + failing->detail;
    } else {
      reason = failing->rule.name + " passed " + times(failing->successes_in_row) + " in a row of " +
               std::to_string(failing->rule.success_threshold) + " needed";
    }
    const auto others = std::count_if(failing + 1, probes_.end(), [](const ProbeState& p) { return !p.passing; });
    if (others > 0) reason += " (and " + std::to_string(others) + " more not passing)";
    return reason;
  }
  std::string reason = "warming up: passing for " + tenths(now - *all_passing_since_) + " of " +
                       common::format_duration(warm_up_.time);
  if (warm_up_.successes > 0) {
    const auto fewest = std::min_element(probes_.begin(), probes_.end(), [](const auto& a, const auto& b) {
      return a.successes_in_row < b.successes_in_row;
    });
    reason += ", " + std::to_string(std::min(fewest->successes_in_row, warm_up_.successes)) + " of " +
              std::to_string(warm_up_.successes) + " successes in a row";
  }
  return reason;
}

}  // namespace autocanary::shim

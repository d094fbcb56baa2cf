// The shim's verdict, as a pure state machine over probe results and time: no
// I/O, no clock of its own (every call says what time it is), so thresholds,
// warm-up and flaps are unit-tested step by step.
//
// Each probe passes after success_threshold successes in a row and stops passing
// after failure_threshold failures in a row (a Kubernetes probe's rules). The
// shim is ready while every probe passes. Whenever it is not ready — at start,
// and after losing readiness, since the app may have restarted — it becomes
// ready only after the warm-up: every probe passing continuously for
// WarmUp::time, and every probe's current run of successes at least
// WarmUp::successes long.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace autocanary::shim {

struct WarmUp {
  int successes = 0;
  std::chrono::milliseconds time{0};
};

struct ProbeRule {
  std::string name;
  int success_threshold = 1;
  int failure_threshold = 3;
};

class Readiness {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  Readiness(std::vector<ProbeRule> probes, WarmUp warm_up, TimePoint started);

  // One result of probe `index` at `now`; `detail` says what was seen
  // ("connection refused", "HTTP 500") and ends up in the reason.
  void record(std::size_t index, bool success, std::string_view detail, TimePoint now);
  // The clock alone moved: the warm-up may have ended.
  void update(TimePoint now);

  [[nodiscard]] bool ready() const noexcept { return ready_; }
  // "ready", or one line saying why not.
  [[nodiscard]] const std::string& reason() const noexcept { return reason_; }
  // Ready → not ready transitions.
  [[nodiscard]] std::uint64_t flaps() const noexcept { return flaps_; }
  // From `started` to the first time the shim became ready.
  [[nodiscard]] std::optional<std::chrono::nanoseconds> time_to_ready() const noexcept { return time_to_ready_; }
  // When update() alone could make the shim ready: the end of the warm-up time,
  // if that is all it waits for; std::nullopt when it needs results.
  [[nodiscard]] std::optional<TimePoint> warm_up_ends() const noexcept;
  [[nodiscard]] bool passing(std::size_t index) const { return probes_.at(index).passing; }
  [[nodiscard]] std::size_t size() const noexcept { return probes_.size(); }

 private:
  struct ProbeState {
    ProbeRule rule;
    int successes_in_row = 0;
    int failures_in_row = 0;
    bool passing = false;
    bool seen = false;
    std::string detail;
  };

  void evaluate(TimePoint now);
  [[nodiscard]] bool warm_up_done(TimePoint now) const;
  [[nodiscard]] std::string explain(TimePoint now) const;

  std::vector<ProbeState> probes_;
  WarmUp warm_up_;
  TimePoint started_;
  std::optional<TimePoint> all_passing_since_;
  bool ready_ = false;
  std::uint64_t flaps_ = 0;
  std::optional<std::chrono::nanoseconds> time_to_ready_;
  std::string reason_;
};

}  // namespace autocanary::shim

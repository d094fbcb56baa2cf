// Measurements of the canary and how a series of them becomes a verdict.
// Providers take one measurement each (I/O); judging it, tallying a run and
// scheduling the next one are pure and live here. A run's tally is kept in the
// Canary's status, so a restarted coordinator continues where the last left off.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/rfc3339.h"
#include "policy/canary_policy.h"

namespace autocanary::analysis {

// What a provider saw in one look.
struct Measurement {
  enum class Kind {
    kValue,    // a number, for the success condition to judge
    kNoData,   // nothing to judge: an empty query result, NaN
    kTooFewSamples,  // a value resting on fewer samples than the policy's minimumSample
    kPassed,   // the provider's own verdict: a gate's 2xx, a completed Job
    kFailed,   // a gate's refusal, a failed Job
    kRunning,  // not finished yet (a test Job): progress, not a measurement
    kError,    // nothing could be measured: unreachable, bad query, bad answer
  };
  Kind kind = Kind::kError;
  double value = 0;
  std::string message;   // why, in a sentence
  std::string resource;  // what the measurement runs, e.g. the test Job's name
};

enum class Outcome { kPassed, kFailed, kInconclusive, kRunning };

[[nodiscard]] std::string_view to_string(Outcome outcome) noexcept;
[[nodiscard]] Outcome outcome_from_string(std::string_view text) noexcept;

// One judged measurement, as the Canary's status records it.
struct MeasurementRecord {
  std::string analysis;
  std::string revision;
  int step = 0;
  Outcome outcome = Outcome::kInconclusive;
  std::optional<double> value;
  bool error = false;  // inconclusive because nothing could be measured
  std::string measured_at;  // RFC 3339 with milliseconds
  std::string message;
  std::string resource;
  bool operator==(const MeasurementRecord&) const = default;
};

// The tally of one analysis (or test) within one step.
struct AnalysisRun {
  std::string analysis;
  int step = 0;
  int passed = 0;
  int failed = 0;
  int inconclusive = 0;
  std::string started_at;        // first measurement
  std::string last_measured_at;  // latest measurement or progress
  std::optional<double> last_value;
  std::string last_message;
  std::string resource;  // a test's Job
  bool operator==(const AnalysisRun&) const = default;
};

// How measurements are judged and how many make a verdict.
struct Criteria {
  std::optional<double> max;
  std::optional<double> min;
  bool no_data_fails = false;
  std::chrono::milliseconds interval{std::chrono::seconds(30)};
  int count = 1;           // passing measurements the analysis needs
  int failure_limit = 0;   // failed measurements tolerated on the way
  int inconclusive_limit = 3;
  std::optional<std::chrono::milliseconds> timeout;  // a run not concluded by then fails
};

// A test Job is looked at this often (its watch usually wakes the coordinator sooner).
inline constexpr std::chrono::milliseconds kTestPollInterval{std::chrono::seconds(5)};

[[nodiscard]] Criteria criteria_for(const policy::AnalysisDefinition& analysis);
[[nodiscard]] Criteria criteria_for(const policy::TestDefinition& test);

// The record of `measurement`, judged by `criteria`.
[[nodiscard]] MeasurementRecord judge(const Criteria& criteria, const Measurement& measurement);

// Adds a record to its run.
void tally(AnalysisRun& run, const MeasurementRecord& record);

// When the next measurement is due: now for a run without one.
[[nodiscard]] bool measurement_due(const Criteria& criteria, const AnalysisRun* run, common::SystemTime now);
[[nodiscard]] std::chrono::milliseconds until_due(const Criteria& criteria, const AnalysisRun& run,
                                                  common::SystemTime now);

struct RunVerdict {
  enum class State { kPending, kPassed, kFailed };
  State state = State::kPending;
  std::string message;
};

// Failed once failures or inconclusive measurements exceed their limits, or the
// timeout passed; passed after `count` passing measurements; pending else.
[[nodiscard]] RunVerdict verdict(const Criteria& criteria, const AnalysisRun& run, common::SystemTime now);

// 0.002 → "0.002"; the shortest text that reads back the same.
[[nodiscard]] std::string format_value(double value);

}  // namespace autocanary::analysis

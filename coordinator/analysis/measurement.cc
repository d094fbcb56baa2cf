#include "coordinator/analysis/measurement.h"

#include <array>
#include <charconv>
#include <cmath>
#include <utility>

#include "common/duration.h"

namespace autocanary::analysis {

namespace {

using std::chrono::milliseconds;

constexpr std::array<std::pair<Outcome, std::string_view>, 4> kOutcomeNames = {{
    {Outcome::kPassed, "Passed"},
    {Outcome::kFailed, "Failed"},
    {Outcome::kInconclusive, "Inconclusive"},
    {Outcome::kRunning, "Running"},
}};

std::string condition_text(const Criteria& criteria) {
  if (criteria.max && criteria.min) return "between " + format_value(*criteria.min) + " and " + format_value(*criteria.max);
  if (criteria.max) return "at most " + format_value(*criteria.max);
  if (criteria.min) return "at least " + format_value(*criteria.min);
  return "any value";
}

std::string with_last(std::string text, const AnalysisRun& run) {
  if (!run.last_message.empty()) text += "; last: " + run.last_message;
  return text;
}

milliseconds since(const std::string& timestamp, common::SystemTime now) {
  const auto then = common::parse_rfc3339(timestamp);
  if (!then) return milliseconds(0);
  return std::chrono::duration_cast<milliseconds>(now - *then);
}

}  // namespace

std::string_view to_string(Outcome outcome) noexcept {
  for (const auto& [candidate, name] : kOutcomeNames)
    if (candidate == outcome) return name;
  return "Inconclusive";
}

Outcome outcome_from_string(std::string_view text) noexcept {
  for (const auto& [outcome, name] : kOutcomeNames)
    if (name == text) return outcome;
  return Outcome::kInconclusive;
}

std::string format_value(double value) {
  char buffer[40];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

Criteria criteria_for(const policy::AnalysisDefinition& analysis) {
  Criteria criteria;
  criteria.max = analysis.max;
  criteria.min = analysis.min;
  criteria.no_data_fails = analysis.no_data == policy::AnalysisDefinition::NoData::kFail;
  criteria.interval = analysis.interval;
  criteria.count = analysis.count;
  criteria.failure_limit = analysis.failure_limit;
  criteria.inconclusive_limit = analysis.inconclusive_limit;
  return criteria;
}

Criteria criteria_for(const policy::TestDefinition& test) {
  Criteria criteria;
  criteria.interval = kTestPollInterval;
  criteria.count = 1;
  criteria.failure_limit = 0;
  criteria.timeout = test.timeout;
  return criteria;
}

MeasurementRecord judge(const Criteria& criteria, const Measurement& measurement) {
  MeasurementRecord record;
  record.message = measurement.message;
  record.resource = measurement.resource;
  switch (measurement.kind) {
    case Measurement::Kind::kValue: {
      record.value = measurement.value;
      const bool within = !std::isnan(measurement.value) && (!criteria.max || measurement.value <= *criteria.max) &&
                          (!criteria.min || measurement.value >= *criteria.min);
      record.outcome = within ? Outcome::kPassed : Outcome::kFailed;
      if (record.message.empty())
        record.message = format_value(measurement.value) + (within ? " is " : " is not ") + condition_text(criteria);
      break;
    }
    case Measurement::Kind::kNoData:
      // Never a pass: either a failure or a reason to wait, as the policy says.
      record.outcome = criteria.no_data_fails ? Outcome::kFailed : Outcome::kInconclusive;
      if (record.message.empty()) record.message = "no data";
      break;
    case Measurement::Kind::kTooFewSamples:
      // Not yet enough traffic to tell: a reason to wait, up to inconclusiveLimit.
      record.outcome = Outcome::kInconclusive;
      break;
    case Measurement::Kind::kPassed:
      record.outcome = Outcome::kPassed;
      break;
    case Measurement::Kind::kFailed:
      record.outcome = Outcome::kFailed;
      break;
    case Measurement::Kind::kRunning:
      record.outcome = Outcome::kRunning;
      break;
    case Measurement::Kind::kError:
      record.outcome = Outcome::kInconclusive;
      record.error = true;
      break;
  }
  return record;
}

void tally(AnalysisRun& run, const MeasurementRecord& record) {
  if (run.started_at.empty()) run.started_at = record.measured_at;
  run.last_measured_at = record.measured_at;
  if (!record.resource.empty()) run.resource = record.resource;
  if (record.outcome == Outcome::kRunning) {
    run.last_message = record.message;
    return;
  }
  switch (record.outcome) {
    case Outcome::kPassed: ++run.passed; break;
    case Outcome::kFailed: ++run.failed; break;
    default: ++run.inconclusive; break;
  }
  run.last_value = record.value;
  run.last_message = record.message;
}

bool measurement_due(const Criteria& criteria, const AnalysisRun* run, common::SystemTime now) {
  return run == nullptr || run->last_measured_at.empty() || until_due(criteria, *run, now) <= milliseconds(0);
}

milliseconds until_due(const Criteria& criteria, const AnalysisRun& run, common::SystemTime now) {
  if (run.last_measured_at.empty()) return milliseconds(0);
  return criteria.interval - since(run.last_measured_at, now);
}

RunVerdict verdict(const Criteria& criteria, const AnalysisRun& run, common::SystemTime now) {
  using State = RunVerdict::State;
  if (run.failed > criteria.failure_limit)
    return {State::kFailed, with_last(std::to_string(run.failed) + " failed measurement" + (run.failed == 1 ? "" : "s") +
                                          " (" + std::to_string(criteria.failure_limit) + " tolerated)",
                                      run)};
  if (run.inconclusive > criteria.inconclusive_limit)
    return {State::kFailed, with_last(std::to_string(run.inconclusive) + " inconclusive measurements (" +
                                          std::to_string(criteria.inconclusive_limit) + " tolerated)",
                                      run)};
  if (run.passed >= criteria.count)
    return {State::kPassed, with_last(std::to_string(run.passed) + " of " +
                                          std::to_string(run.passed + run.failed + run.inconclusive) +
                                          " measurements passed",
                                      run)};
  if (criteria.timeout && !run.started_at.empty() && since(run.started_at, now) > *criteria.timeout)
    return {State::kFailed, with_last("not finished within " + common::format_duration(*criteria.timeout), run)};
  std::string tally = std::to_string(run.passed) + " of " + std::to_string(criteria.count) + " passed";
  if (run.failed > 0) tally += ", " + std::to_string(run.failed) + " failed";
  if (run.inconclusive > 0) tally += ", " + std::to_string(run.inconclusive) + " inconclusive";
  return {State::kPending, with_last(tally, run)};
}

}  // namespace autocanary::analysis

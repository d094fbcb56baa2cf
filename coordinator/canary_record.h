// The Canary resource as the coordinator reads and writes it: the user's
// requests (spec) and the rollout's story (status). Everything the coordinator
// needs to resume after a crash is here or on the Deployment.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "coordinator/analysis/measurement.h"

namespace autocanary::coordinator {

// Cancelled: the user took the pending revision back (a revert); not a failure.
enum class Phase {
  kProgressing,
  kPaused,
  kWaitingForApproval,
  kPromoting,
  kSucceeded,
  kAborting,
  kFailed,
  kCancelled
};

[[nodiscard]] std::string_view to_string(Phase phase) noexcept;
[[nodiscard]] Phase phase_from_string(std::string_view text) noexcept;
[[nodiscard]] bool is_terminal(Phase phase) noexcept;

// Requests are tokens: a value different from the one handled is one request.
struct CanaryRequests {
  bool paused = false;
  std::string promote;
  std::string abort;
  std::string retry;
};

struct HandledRequests {
  std::string promote;
  std::string abort;
  std::string retry;
  bool operator==(const HandledRequests&) const = default;
};

struct StepRecord {
  int index = 0;
  std::string description;
  std::string started_at;
  std::string finished_at;
  std::string result;  // "", Succeeded, Failed, Skipped
  std::string message;
  bool operator==(const StepRecord&) const = default;
};

struct HistoryEntry {
  std::string revision;
  std::string outcome;  // Succeeded, Failed, Superseded, Cancelled
  std::string started_at;
  std::string finished_at;
  std::string message;
  bool operator==(const HistoryEntry&) const = default;
};

// The router a rollout uses, chosen when it starts and kept to its end.
struct TrafficRouting {
  std::string router;       // podRatio, smi, gatewayAPI, gatewayRoute, istio; empty before the first choice
  std::string api_version;  // of the routing resource ("split.smi-spec.io/v1alpha2"); empty for podRatio
  std::string service;      // the user's Service it splits; empty for podRatio
  std::string reason;       // why this router
  bool operator==(const TrafficRouting&) const = default;
};

struct CanaryStatus {
  std::string revision;         // the pending revision this canary rolls out
  std::string stable_revision;  // the live template's revision when it started
  Phase phase = Phase::kProgressing;
  int current_step = 0;
  std::string step_description;
  std::string step_started_at;
  std::string started_at;
  std::string aborted_at;
  int canary_weight = 0;
  int actual_weight = 0;
  TrafficRouting routing;
  std::string message;
  std::vector<StepRecord> steps;
  std::vector<HistoryEntry> history;  // newest last, bounded
  HandledRequests handled;
  // The tallies of the current step's analyses and tests, and the latest
  // measurements of this rollout (newest last, bounded): what the analyses saw.
  std::vector<analysis::AnalysisRun> analysis_runs;
  std::vector<analysis::MeasurementRecord> measurements;
  // The policy this rollout follows, fixed when it starts (a changed policy
  // applies to the next rollout): {name, spec, sources}.
  nlohmann::json policy;
  bool operator==(const CanaryStatus&) const = default;
};

inline constexpr std::size_t kHistoryLimit = 10;
inline constexpr std::size_t kMeasurementLimit = 20;

[[nodiscard]] CanaryRequests requests_from_json(const nlohmann::json& spec);
[[nodiscard]] CanaryStatus status_from_json(const nlohmann::json& status);
[[nodiscard]] nlohmann::json to_json(const CanaryStatus& status);

// status.conditions for tools that read conditions rather than phases (Flux's
// kstatus, `kubectl wait --for=condition=Ready canary/NAME`): Ready (True once
// promoted, or cancelled back to the stable revision), Reconciling (True while
// the rollout runs, waits or is paused) and Stalled (True once it is aborted,
// with the reason). A condition keeps its lastTransitionTime from `previous`
// (the conditions stored) while its status stays, so rewriting the same
// status changes nothing.
[[nodiscard]] nlohmann::json canary_conditions(const CanaryStatus& status, const nlohmann::json& previous,
                                               std::string_view now);

}  // namespace autocanary::coordinator

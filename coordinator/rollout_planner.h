// The coordinator's decisions, apart from all I/O: given what was observed of
// one Deployment (its annotations, its canary workload, its Canary record, the
// router's view and the analyses' verdicts), the policy and the time, which
// actions bring the cluster one step closer to the desired state. Level-based:
// it trusts nothing but the observation, so any crash between two actions is
// repaired by planning again.
#pragma once

#include <chrono>
#include <map>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/rfc3339.h"
#include "coordinator/analysis/measurement.h"
#include "coordinator/canary_record.h"
#include "coordinator/traffic/traffic_view.h"
#include "policy/canary_policy.h"

namespace autocanary::coordinator {

struct CanaryWorkload {
  bool exists = false;
  // Deleted in the foreground: the object stays until its pods are gone.
  bool deleting = false;
  // A Deployment of the canary's name that autocanary did not make for this
  // Deployment (a user's own `web-canary`): never changed, scaled or deleted.
  bool name_taken = false;
  std::string revision;  // the template revision it runs
  int replicas = 0;      // spec
  int ready_replicas = 0;
  // Ready for the canary's minReadySeconds without a container restarting:
  // what the pod-health step waits for, so a crash shortly after start is seen.
  int available_replicas = 0;
  int restarts = 0;      // container restarts across its pods
  bool crash_looping = false;
  std::string crash_loop;   // which pod and container, and why
  int readiness_flaps = 0;  // Ready → not Ready transitions of its pods (the shim's verdict)
  // The longest-waiting pod that is not Ready, and since when (RFC 3339): its
  // creation, or when it last lost readiness. Empty when all are Ready.
  std::string not_ready_pod;
  std::string not_ready_since;
};

struct Observed {
  std::string deployment;
  int stable_replicas = 1;
  // The Deployment's spec.progressDeadlineSeconds: how long a step may wait for
  // the canary's pods or traffic before the rollout ends (as the deployment
  // controller gives a rollout before ProgressDeadlineExceeded).
  std::chrono::milliseconds progress_deadline{600'000};
  std::string live_revision;      // revision of the Deployment's live template
  bool stable_rolled_out = false; // every replica runs the live template and is available
  bool deployment_paused = false; // spec.paused (`kubectl rollout pause`): nothing may roll
  // The deployment controller gave up on the live template's rollout (Progressing
  // False, ProgressDeadlineExceeded): its message, else empty.
  std::string stable_stalled;
  std::optional<std::string> pending_revision;
  std::optional<std::string> failed_revision;
  bool retry_annotation = false;  // autocanary.io/retry present on the Deployment

  CanaryWorkload canary;
  // The pods the canary should run at its current weight beside the stable's
  // replicas now (the router's sizing); -1 when there is no canary.
  int canary_replicas_wanted = -1;
  traffic::TrafficView traffic;

  bool record_exists = false;
  CanaryRequests requests;
  CanaryStatus status;

  // The policy resolved now, as recorded when a rollout starts, and what the
  // resolution had to skip (a missing policy, a malformed override).
  nlohmann::json policy_record;
  std::vector<std::string> policy_warnings;
  // Why the running rollout's recorded policy was not followed (it was not
  // sealed by this coordinator: written by someone else), if so; the rollout
  // then follows, and records, the policy in force.
  std::string policy_record_rejected;

  // How a rollout starting now would route (or, for a running one, how it
  // routes), and why the policy's choice could not be honoured, if so.
  TrafficRouting routing;
  std::string routing_warning;

  // Measurements finished since the last pass (taken off the reconcile
  // workers, analysis/measurement_executor). The planner tallies those of the
  // current step into the status and judges the step from the tallies.
  std::vector<analysis::MeasurementRecord> measurements;
  // The current step's analyses and tests with a measurement under way: their
  // result wakes the rollout, so the planner does not ask to look again for
  // them.
  std::vector<std::string> measuring;
};

// ---- actions, executed in order; the first failure ends the pass ----------------

struct SetWeight { int weight = 0; };
// Create or update the canary workload from the pending template, sized for `weight`.
struct EnsureCanaryWorkload {
  std::string revision;
  int weight = 0;
};
struct DeleteCanaryWorkload {};
// Everything to stable, the router's objects removed (a user's restored).
struct RemoveRouting {};
struct PromoteDeployment { std::string revision; };  // template := pending, pending marks removed
struct MarkFailed { std::string revision; };
struct ClearFailedMark {};
struct AcknowledgeRetry {};  // remove autocanary.io/retry from the Deployment
struct WriteStatus { CanaryStatus status; };
struct RecordEvent {
  bool warning = false;
  std::string reason;
  std::string message;
};

using Action = std::variant<SetWeight, EnsureCanaryWorkload, DeleteCanaryWorkload, RemoveRouting, PromoteDeployment,
                            MarkFailed, ClearFailedMark, AcknowledgeRetry, WriteStatus, RecordEvent>;

struct Plan {
  std::vector<Action> actions;
  // Plan again after this long even if nothing changes (a pause ending, an
  // abort delay running out); events from watches plan again sooner.
  std::optional<std::chrono::milliseconds> requeue_after;
};

[[nodiscard]] Plan plan_rollout(const Observed& observed, const policy::CanaryPolicy& policy,
                                common::SystemTime now);

// "setWeight 25", "pause 30s", "pause until approved", "analysis pod-health", …
[[nodiscard]] std::string describe(const policy::Step& step);

// Name of the analysis built into the coordinator: canary pods Ready within the
// policy's deadline, no more restarts or readiness losses than it tolerates, no
// crash loop. Once a step names it, it is judged on every pass (fail fast).
inline constexpr const char* kPodHealthAnalysis = "pod-health";

// The analyses and tests step `step_index` runs (pod-health left out; nothing
// for other kinds of step), and the criteria that judge one of them.
struct StepCheck {
  std::string name;
  bool test = false;
};
[[nodiscard]] std::vector<StepCheck> step_checks(const policy::CanaryPolicy& policy, int step_index);
[[nodiscard]] std::optional<analysis::Criteria> criteria_of(const policy::CanaryPolicy& policy,
                                                            const StepCheck& check);

}  // namespace autocanary::coordinator

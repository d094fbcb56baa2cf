#include "coordinator/rollout_planner.h"

#include <algorithm>

#include "common/duration.h"

namespace autocanary::coordinator {

namespace {

using std::chrono::milliseconds;

// Watches wake the coordinator when something changes; this is only the
// safety net for an event that never comes.
constexpr milliseconds kSettleRecheck{5'000};
constexpr milliseconds kNameTakenRecheck{15'000};
// How long a proxy in front (a Gateway, a mesh) may keep routing by the old
// weights after they were written: traefik applies changes after its
// providersThrottleDuration, 2 s by default.
constexpr milliseconds kRoutingDrain{3'000};

enum class StepState { kDone, kWait, kFail };

struct StepOutcome {
  StepState state = StepState::kWait;
  std::string message;
  std::optional<milliseconds> recheck_after;
};

StepOutcome done(std::string message = {}) { return {StepState::kDone, std::move(message), {}}; }
StepOutcome wait(std::optional<milliseconds> after = kSettleRecheck) { return {StepState::kWait, {}, after}; }
StepOutcome fail(std::string message) { return {StepState::kFail, std::move(message), {}}; }

class Planner {
 public:
  Planner(const Observed& observed, const policy::CanaryPolicy& policy, common::SystemTime now)
      : o_(observed), policy_(policy), now_(now), now_text_(common::format_rfc3339(now)), st_(observed.status) {}

  Plan run() {
    if (!o_.policy_record_rejected.empty()) {
      st_.policy = o_.policy_record;
      event(true, "PolicyRecordRejected", o_.policy_record_rejected);
    }
    if (o_.canary.name_taken) {
      name_taken();
    } else if (!o_.pending_revision) {
      without_pending_revision();
    } else if (o_.failed_revision == o_.pending_revision) {
      held_failed_revision(*o_.pending_revision);
    } else {
      progress(*o_.pending_revision);
    }
    write_status();
    return std::move(plan_);
  }

 private:
  // ---- the three situations ------------------------------------------------------

  void without_pending_revision() {
    // Promoted: the live template is the revision — or another mutating
    // webhook (an injector, a policy engine) changed it on the way in, which
    // our promotion patch made; only a revert brings back the old stable one.
    const bool promoted = o_.live_revision == st_.revision ||
                          (!st_.stable_revision.empty() && o_.live_revision != st_.stable_revision);
    if (o_.record_exists && st_.phase == Phase::kPromoting && promoted) {
      if (!o_.stable_rolled_out && !o_.stable_stalled.empty()) {
        promotion_stalled();
        return;
      }
      if (!o_.stable_rolled_out) {
        st_.message = "rolling the Deployment out to revision " + st_.revision;
        if (o_.deployment_paused)
          st_.message += ": waiting for `kubectl rollout resume deployment/" + o_.deployment + "`";
        requeue(kSettleRecheck);
        return;
      }
      emit(SetWeight{0});  // all traffic to the (now promoted) stable workload
      remove_canary(now_text_);
      close_step("Succeeded", "promoted");
      st_.phase = Phase::kSucceeded;
      st_.canary_weight = 0;
      st_.actual_weight = 0;
      st_.step_description = "done";
      st_.message = "revision " + st_.revision + " promoted";
      add_history("Succeeded", st_.message);
      event(false, "Promoted", st_.message);
      return;
    }
    if (o_.canary.exists && !o_.canary.deleting) emit(SetWeight{0});
    // Ended earlier: the weight went to 0 then; a revert: now.
    const bool ended = o_.record_exists && is_terminal(st_.phase) && !st_.history.empty();
    remove_canary(ended ? st_.history.back().finished_at : now_text_);
    if (o_.record_exists && !is_terminal(st_.phase)) {
      // Only the webhook removes a pending revision: when the live template
      // was applied again (a revert). Not a failure, so nothing is held.
      close_step("Cancelled", "the live template was applied again");
      st_.phase = Phase::kCancelled;
      st_.canary_weight = 0;
      st_.actual_weight = 0;
      st_.message = "revision " + st_.revision + " cancelled: the live template (revision " + o_.live_revision +
                    ") was applied again; canary removed";
      add_history("Cancelled", st_.message);
      event(false, "CanaryCancelled", st_.message);
    }
  }

  // Someone else's Deployment has the canary's name: nothing of ours can run
  // beside it, and it is not ours to change. Said once, then looked at again
  // now and then (its removal is also a watch event).
  void name_taken() {
    const std::string message = "Deployment " + o_.deployment + "-canary exists and was not made by autocanary for " +
                                o_.deployment + "; no canary runs until it is renamed or deleted";
    if (st_.message != message) event(true, "CanaryNameTaken", message);
    st_.message = message;
    requeue(kNameTakenRecheck);
  }

  void held_failed_revision(const std::string& revision) {
    if (is_new(o_.requests.retry, st_.handled.retry)) {
      st_.handled.retry = o_.requests.retry;
      emit(ClearFailedMark{});
      event(false, "Retrying", "retrying revision " + revision + " on request");
      return;
    }
    if (st_.revision != revision || (st_.phase != Phase::kAborting && st_.phase != Phase::kFailed)) {
      // The failed mark was written but not the status (a crash between them).
      st_.revision = revision;
      st_.phase = Phase::kAborting;
      st_.aborted_at = now_text_;
      st_.canary_weight = 0;
    }
    if (o_.traffic.applied_weight != 0) emit(SetWeight{0});
    if (st_.phase == Phase::kAborting) {
      const milliseconds remaining = policy_.abort_scale_down_delay - elapsed_since(st_.aborted_at);
      if (o_.canary.exists && remaining > milliseconds(0)) {
        requeue(remaining);
        return;
      }
      st_.phase = Phase::kFailed;
      st_.message = "revision " + revision + " failed its canary and is held until retried";
      // The reason stays in the message (Argo CD, kstatus and `status` show it).
      if (!st_.history.empty() && st_.history.back().revision == revision && st_.history.back().outcome == "Failed" &&
          !st_.history.back().message.empty())
        st_.message += ": " + st_.history.back().message;
    }
    remove_canary(st_.aborted_at);
  }

  void progress(const std::string& revision) {
    const bool fresh = !o_.record_exists || st_.revision != revision || is_terminal(st_.phase) ||
                       st_.phase == Phase::kAborting;
    if (fresh) start(revision);

    if (is_new(o_.requests.retry, st_.handled.retry)) st_.handled.retry = o_.requests.retry;  // nothing failed
    if (is_new(o_.requests.abort, st_.handled.abort)) {
      st_.handled.abort = o_.requests.abort;
      abort(revision, "aborted on request");
      return;
    }
    // `kubectl rollout pause` means "roll nothing": the canary holds, like a
    // pause of the Canary itself, and does not start until resumed.
    if (o_.requests.paused || o_.deployment_paused) {
      const std::string why = o_.requests.paused ? "paused on request"
                                                 : "the Deployment is paused (kubectl rollout resume deployment/" +
                                                       o_.deployment + " to go on)";
      if (st_.phase != Phase::kPaused) event(false, "Paused", why);
      st_.phase = Phase::kPaused;
      st_.message = why + "; traffic stays at " + std::to_string(st_.canary_weight) + "%";
      return;
    }
    if (st_.phase == Phase::kPaused) {
      st_.phase = Phase::kProgressing;
      event(false, "Resumed", "resumed");
    }
    if (st_.phase == Phase::kPromoting) {
      emit(PromoteDeployment{revision});  // asked before, not observed yet
      return;
    }

    if (o_.canary.deleting) {
      // The previous canary is going (deleted in the foreground): its name is free once its pods are.
      st_.message = "waiting for the previous canary's pods to go";
      requeue(kSettleRecheck);
      return;
    }
    if (!o_.canary.exists || o_.canary.revision != revision) {
      emit(EnsureCanaryWorkload{revision, st_.canary_weight});
    } else if (st_.canary_weight > 0 && o_.traffic.applied_weight == st_.canary_weight &&
               o_.canary_replicas_wanted >= 0 && o_.canary.replicas != o_.canary_replicas_wanted) {
      // The stable workload was scaled (an HPA, `kubectl scale`): the canary
      // follows, so that its share stays the weight it was given.
      emit(SetWeight{st_.canary_weight});
    }
    record_measurements();
    // Pod health fails fast: judged on every pass once a step names it, so
    // a failure aborts within the pass that sees it, at any step. A crash
    // loop aborts under any policy.
    if (runs_revision(revision) && uses_pod_health()) {
      if (auto problem = pod_health_problem()) {
        abort(revision, std::string(kPodHealthAnalysis) + ": " + *problem);
        return;
      }
    } else if (runs_revision(revision) && o_.canary.crash_looping) {
      abort(revision, "canary pods are crash-looping: " + o_.canary.crash_loop);
      return;
    }
    walk_steps(revision);
  }

  // ---- lifecycle -----------------------------------------------------------------

  void start(const std::string& revision) {
    if (o_.traffic.applied_weight != 0) emit(SetWeight{0});  // the new revision starts from nothing
    if (o_.record_exists && !st_.revision.empty() && st_.revision != revision && !is_terminal(st_.phase) &&
        st_.phase != Phase::kAborting) {
      add_history("Superseded", "superseded by revision " + revision);
      event(false, "Superseded", "revision " + st_.revision + " superseded by revision " + revision);
    }
    CanaryStatus next;
    next.history = std::move(st_.history);
    next.handled = st_.handled;
    next.revision = revision;
    next.stable_revision = o_.live_revision;
    next.phase = Phase::kProgressing;
    next.started_at = now_text_;
    next.step_started_at = now_text_;
    next.policy = o_.policy_record;
    next.routing = o_.routing;
    st_ = std::move(next);
    if (o_.retry_annotation) emit(AcknowledgeRetry{});
    for (const auto& warning : o_.policy_warnings) event(true, "PolicyWarning", warning);
    if (!o_.routing_warning.empty()) event(true, "TrafficFallback", o_.routing_warning);
    event(false, "CanaryStarted",
          "canary of revision " + revision + " started (" + std::to_string(policy_.steps.size()) +
              " steps; stable revision " + o_.live_revision + ")");
  }

  // The canary workload, then what the router made for it. Where a router made
  // something (a route, a split, the narrowed Service), a proxy in front
  // follows each change a moment late, so each waits: the canary's pods until
  // kRoutingDrain after the weight went to 0 (`weight_zero_at`), the routing
  // until the pods are gone (the canary is deleted in the foreground) — given
  // back earlier, the user's route or Service would send requests to pods on
  // their way out.
  void remove_canary(const std::string& weight_zero_at) {
    if (!o_.traffic.routing_objects) {
      if (o_.canary.exists && !o_.canary.deleting) emit(DeleteCanaryWorkload{});
      return;
    }
    if (o_.canary.exists) {
      const milliseconds drained = drained_since(weight_zero_at);
      if (drained < kRoutingDrain) {
        requeue(kRoutingDrain - drained);
        return;
      }
      if (!o_.canary.deleting) emit(DeleteCanaryWorkload{});
      requeue(kSettleRecheck);  // its disappearance, a watch event, usually comes first
      return;
    }
    emit(RemoveRouting{});
  }

  // Time since `timestamp`; an unknown one counts as long ago, so that nothing
  // waits on it forever.
  milliseconds drained_since(const std::string& timestamp) const {
    const auto then = common::parse_rfc3339(timestamp);
    return then ? std::chrono::duration_cast<milliseconds>(now_ - *then) : kRoutingDrain;
  }

  // The promoted template's own rollout gave up (the deployment controller's
  // progress deadline): the canary has nothing left to do, and waiting would
  // be forever. The Deployment is left as Kubernetes left it, for the user to
  // fix or undo; the revision is not marked failed, as it is live.
  void promotion_stalled() {
    emit(SetWeight{0});
    remove_canary(now_text_);
    close_step("Failed", "the promoted rollout stalled");
    st_.phase = Phase::kFailed;
    st_.canary_weight = 0;
    st_.actual_weight = 0;
    st_.step_description = "done";
    st_.message = "revision " + st_.revision + " was promoted, but the Deployment's rollout of it stalled: " +
                  o_.stable_stalled + " (see `kubectl rollout status deployment/" + o_.deployment +
                  "`; `kubectl rollout undo` goes back)";
    add_history("Failed", st_.message);
    event(true, "PromotionStalled", st_.message);
  }

  void abort(const std::string& revision, const std::string& why) {
    // Traffic first: the time from a failing check to weight 0 is what users feel.
    emit(SetWeight{0});
    emit(MarkFailed{revision});
    close_step("Failed", why);
    st_.phase = Phase::kAborting;
    st_.aborted_at = now_text_;
    st_.canary_weight = 0;
    st_.actual_weight = 0;
    st_.message = "revision " + revision + " aborted: " + why;
    add_history("Failed", why);
    event(true, "CanaryAborted", st_.message);
    requeue(std::max(policy_.abort_scale_down_delay, milliseconds(1)));
  }

  void walk_steps(const std::string& revision) {
    bool promote_requested = is_new(o_.requests.promote, st_.handled.promote);
    const auto step_count = static_cast<int>(policy_.steps.size());
    while (st_.current_step < step_count) {
      const policy::Step& step = policy_.steps[static_cast<std::size_t>(st_.current_step)];
      open_step(describe(step));
      const StepOutcome outcome = evaluate(step, revision, promote_requested);
      if (outcome.state == StepState::kFail) {
        abort(revision, outcome.message);
        return;
      }
      if (outcome.state == StepState::kWait) {
        if (outcome.recheck_after) requeue(*outcome.recheck_after);
        return;
      }
      close_step("Succeeded", outcome.message);
      ++st_.current_step;
      st_.step_started_at = now_text_;
      st_.phase = Phase::kProgressing;
      st_.message.clear();  // what a step said (waiting for approval, its analyses) went with it
      // Tallies belong to their step; the measurements history keeps what they saw.
      std::erase_if(st_.analysis_runs,
                    [&](const analysis::AnalysisRun& run) { return run.step != st_.current_step; });
    }
    promote(revision);
  }

  void promote(const std::string& revision) {
    st_.phase = Phase::kPromoting;
    st_.step_description = "promoting";
    st_.message = "promoting revision " + revision + ": rolling the Deployment out while the canary serves";
    event(false, "Promoting", st_.message);
    write_status();  // recorded before acting, so a crash resumes the promotion
    emit(PromoteDeployment{revision});
  }

  // ---- steps -----------------------------------------------------------------

  StepOutcome evaluate(const policy::Step& step, const std::string& revision, bool& promote_requested) {
    if (promote_requested && !std::holds_alternative<policy::PauseStep>(step)) {
      // Promote outside a pause: skip what is left.
      st_.handled.promote = o_.requests.promote;
      promote_requested = false;
      st_.current_step = static_cast<int>(policy_.steps.size()) - 1;
      return done("remaining steps skipped on request");
    }
    if (const auto* set_weight = std::get_if<policy::SetWeightStep>(&step)) {
      if (st_.canary_weight != set_weight->weight || o_.traffic.applied_weight != set_weight->weight) {
        st_.canary_weight = set_weight->weight;
        emit(SetWeight{set_weight->weight});
        return wait();
      }
      if (!o_.traffic.settled || !runs_revision(revision)) return waiting_for_the_canary();
      st_.actual_weight = o_.traffic.actual_weight;
      std::string message = "actual weight " + std::to_string(o_.traffic.actual_weight) + "%";
      // Pod ratio never drains the stable workload: full weight is the promotion's work.
      if (set_weight->weight == 100 && o_.traffic.actual_weight < 100)
        message += " (the stable pods serve until the promotion)";
      return done(message);
    }
    if (const auto* pause = std::get_if<policy::PauseStep>(&step)) {
      if (promote_requested) {
        st_.handled.promote = o_.requests.promote;
        promote_requested = false;
        return done("approved");
      }
      if (!pause->duration) {
        st_.phase = Phase::kWaitingForApproval;
        st_.message = "waiting for approval: set spec.promote of canary/" + o_.deployment + " to a new value";
        return wait(std::nullopt);
      }
      const milliseconds remaining = *pause->duration - elapsed_since(st_.step_started_at);
      if (remaining > milliseconds(0)) return wait(remaining);
      return done();
    }
    if (const auto* analysis = std::get_if<policy::AnalysisStep>(&step)) {
      const bool pod_health = std::find(analysis->analyses.begin(), analysis->analyses.end(),
                                        kPodHealthAnalysis) != analysis->analyses.end();
      if (pod_health) {
        if (auto problem = pod_health_problem()) return fail(std::string(kPodHealthAnalysis) + ": " + *problem);
      }
      StepOutcome outcome = judge();
      if (outcome.state == StepState::kDone && pod_health &&
          (!runs_revision(revision) || o_.canary.available_replicas < o_.canary.replicas || o_.canary.replicas == 0))
        return waiting_for_the_canary();
      return outcome;
    }
    return judge();
  }

  // A step that waits for the canary's pods (to exist, to be Ready, to take
  // the weight) fails once it has waited the Deployment's progress deadline:
  // a canary that cannot start (quota, Pod Security, an image that cannot be
  // pulled) must not hold the Deployment forever, under any policy.
  StepOutcome waiting_for_the_canary() {
    const milliseconds waited = elapsed_since(st_.step_started_at);
    if (waited < o_.progress_deadline) return wait(std::min(kSettleRecheck, o_.progress_deadline - waited));
    const std::string deadline = std::to_string(o_.progress_deadline.count() / 1000) + "s";
    std::string why = "no progress within the progress deadline (" + deadline + "): the canary has " +
                      std::to_string(o_.canary.ready_replicas) + " of " + std::to_string(o_.canary.replicas) +
                      " pods Ready";
    if (!o_.canary.not_ready_pod.empty())
      why += "; pod " + o_.canary.not_ready_pod + " not Ready since " + o_.canary.not_ready_since;
    else if (o_.canary.ready_replicas < o_.canary.replicas)
      why += "; its pods were not created (see the events of deployment/" + o_.deployment +
             "-canary: quota, Pod Security, …)";
    return fail(why);
  }

  // The current step's analyses and tests, from their tallies: every one must
  // pass; the first failure fails the step.
  StepOutcome judge() {
    bool pending = false;
    std::optional<milliseconds> next;
    std::string progress;
    for (const StepCheck& check : step_checks(policy_, st_.current_step)) {
      const auto criteria = criteria_of(policy_, check);
      if (!criteria) return fail(check.name + ": not defined in the policy");
      const analysis::AnalysisRun* run = find_run(check.name);
      // A measurement under way wakes the rollout when it finishes.
      const bool under_way =
          std::find(o_.measuring.begin(), o_.measuring.end(), check.name) != o_.measuring.end();
      if (run == nullptr) {
        // Opened in this pass: the next pass starts the first measurement.
        pending = true;
        if (!under_way) next = milliseconds(1);
        continue;
      }
      const analysis::RunVerdict verdict = analysis::verdict(*criteria, *run, now_);
      if (verdict.state == analysis::RunVerdict::State::kFailed) return fail(check.name + ": " + verdict.message);
      if (verdict.state == analysis::RunVerdict::State::kPending) {
        pending = true;
        std::optional<milliseconds> due;
        if (!under_way) due = std::max(analysis::until_due(*criteria, *run, now_), milliseconds(1));
        if (criteria->timeout && !run->started_at.empty()) {  // wake for the deadline too
          const milliseconds deadline = std::max(*criteria->timeout - elapsed_since(run->started_at), milliseconds(1));
          due = due ? std::min(*due, deadline) : deadline;
        }
        if (due) next = next ? std::min(*next, *due) : *due;
        progress += (progress.empty() ? "" : "; ") + check.name + ": " + verdict.message;
      }
    }
    if (!pending) return done("passed");
    if (!progress.empty()) st_.message = progress;
    if (!next && !o_.measuring.empty()) return wait(std::nullopt);  // the results wake it
    return wait(next ? next : std::optional<milliseconds>(kSettleRecheck));
  }

  // ---- pod health ------------------------------------------------------------

  bool uses_pod_health() const {
    return std::any_of(policy_.steps.begin(), policy_.steps.end(), [](const policy::Step& step) {
      const auto* analysis = std::get_if<policy::AnalysisStep>(&step);
      return analysis != nullptr && std::find(analysis->analyses.begin(), analysis->analyses.end(),
                                              kPodHealthAnalysis) != analysis->analyses.end();
    });
  }

  // Why the canary's pods are unhealthy, if they are. A pod not Ready yet asks
  // to be woken when its deadline passes.
  std::optional<std::string> pod_health_problem() {
    const policy::PodHealthPolicy& limits = policy_.pod_health;
    if (o_.canary.crash_looping) return "canary pods are crash-looping: " + o_.canary.crash_loop;
    if (o_.canary.restarts > limits.max_restarts)
      return "canary containers restarted " + std::to_string(o_.canary.restarts) + " times (" +
             std::to_string(limits.max_restarts) + " tolerated)";
    if (o_.canary.readiness_flaps > limits.max_readiness_flaps)
      return "canary pods lost readiness " + std::to_string(o_.canary.readiness_flaps) + " times (" +
             std::to_string(limits.max_readiness_flaps) + " tolerated)";
    if (!o_.canary.not_ready_since.empty()) {
      const milliseconds waited = elapsed_since(o_.canary.not_ready_since);
      if (waited > limits.ready_deadline)
        return "canary pod " + o_.canary.not_ready_pod + " not Ready for " +
               common::format_duration(std::chrono::duration_cast<std::chrono::seconds>(waited)) + " (deadline " +
               common::format_duration(limits.ready_deadline) + ")";
      requeue(limits.ready_deadline - waited + milliseconds(1));
    }
    return std::nullopt;
  }

  // ---- measurements ----------------------------------------------------------

  // Folds this pass's measurements of the current step into its tallies and the
  // bounded history; a measurement that could not be taken is also an Event.
  void record_measurements() {
    for (const analysis::MeasurementRecord& record : o_.measurements) {
      if (record.revision != st_.revision || record.step != st_.current_step) continue;  // stale
      analysis::AnalysisRun* run = find_run(record.analysis);
      if (run == nullptr) {
        st_.analysis_runs.push_back({});
        run = &st_.analysis_runs.back();
        run->analysis = record.analysis;
        run->step = record.step;
      }
      analysis::tally(*run, record);
      if (record.outcome == analysis::Outcome::kRunning) continue;
      st_.measurements.push_back(record);
      if (st_.measurements.size() > kMeasurementLimit)
        st_.measurements.erase(st_.measurements.begin(),
                               st_.measurements.begin() +
                                   static_cast<std::ptrdiff_t>(st_.measurements.size() - kMeasurementLimit));
      if (record.error) event(true, "AnalysisError", record.analysis + ": " + record.message);
    }
  }

  analysis::AnalysisRun* find_run(const std::string& name) {
    for (auto& run : st_.analysis_runs)
      if (run.analysis == name && run.step == st_.current_step) return &run;
    return nullptr;
  }

  // ---- helpers ---------------------------------------------------------------

  bool runs_revision(const std::string& revision) const {
    return o_.canary.exists && o_.canary.revision == revision;
  }

  static bool is_new(const std::string& request, const std::string& handled) {
    return !request.empty() && request != handled;
  }

  milliseconds elapsed_since(const std::string& timestamp) const {
    const auto then = common::parse_rfc3339(timestamp);
    if (!then) return milliseconds(0);  // unknown start: count from now
    return std::chrono::duration_cast<milliseconds>(now_ - *then);
  }

  void open_step(const std::string& description) {
    st_.step_description = description;
    if (!st_.steps.empty() && st_.steps.back().index == st_.current_step) return;  // already recorded
    st_.steps.push_back({st_.current_step, description, st_.step_started_at, "", "", ""});
  }

  void close_step(const std::string& result, const std::string& message) {
    if (st_.steps.empty() || !st_.steps.back().finished_at.empty()) return;
    st_.steps.back().finished_at = now_text_;
    st_.steps.back().result = result;
    st_.steps.back().message = message;
  }

  void add_history(const std::string& outcome, const std::string& message) {
    st_.history.push_back({st_.revision, outcome, st_.started_at, now_text_, message});
    if (st_.history.size() > kHistoryLimit)
      st_.history.erase(st_.history.begin(),
                        st_.history.begin() + static_cast<std::ptrdiff_t>(st_.history.size() - kHistoryLimit));
  }

  void emit(Action action) { plan_.actions.push_back(std::move(action)); }

  void event(bool warning, std::string reason, std::string message) {
    emit(RecordEvent{warning, std::move(reason), std::move(message)});
  }

  void requeue(milliseconds after) {
    if (!plan_.requeue_after || after < *plan_.requeue_after) plan_.requeue_after = after;
  }

  // Appends a WriteStatus when the status differs from what is stored (or was
  // last written in this plan); a Deployment never canaried gets no record.
  void write_status() {
    const CanaryStatus& reference = last_written_ ? *last_written_ : o_.status;
    const bool stored = last_written_.has_value() || o_.record_exists;
    if ((stored && st_ == reference) || (!stored && st_.revision.empty())) return;
    emit(WriteStatus{st_});
    last_written_ = st_;
  }

  const Observed& o_;
  const policy::CanaryPolicy& policy_;
  common::SystemTime now_;
  std::string now_text_;
  CanaryStatus st_;
  std::optional<CanaryStatus> last_written_;
  Plan plan_;
};

}  // namespace

Plan plan_rollout(const Observed& observed, const policy::CanaryPolicy& policy, common::SystemTime now) {
  return Planner(observed, policy, now).run();
}

std::vector<StepCheck> step_checks(const policy::CanaryPolicy& policy, int step_index) {
  if (step_index < 0 || static_cast<std::size_t>(step_index) >= policy.steps.size()) return {};
  const policy::Step& step = policy.steps[static_cast<std::size_t>(step_index)];
  std::vector<StepCheck> checks;
  if (const auto* analysis = std::get_if<policy::AnalysisStep>(&step)) {
    for (const auto& name : analysis->analyses)
      if (name != kPodHealthAnalysis) checks.push_back({name, false});
  } else if (const auto* test = std::get_if<policy::TestStep>(&step)) {
    checks.push_back({test->name, true});
  }
  return checks;
}

std::optional<analysis::Criteria> criteria_of(const policy::CanaryPolicy& policy, const StepCheck& check) {
  if (check.test) {
    for (const auto& test : policy.tests)
      if (test.name == check.name) return analysis::criteria_for(test);
    return std::nullopt;
  }
  for (const auto& definition : policy.analyses)
    if (definition.name == check.name) return analysis::criteria_for(definition);
  return std::nullopt;
}

std::string describe(const policy::Step& step) {
  if (const auto* set_weight = std::get_if<policy::SetWeightStep>(&step))
    return "setWeight " + std::to_string(set_weight->weight);
  if (const auto* pause = std::get_if<policy::PauseStep>(&step))
    return pause->duration ? "pause " + common::format_duration(*pause->duration) : "pause until approved";
  if (const auto* analysis = std::get_if<policy::AnalysisStep>(&step)) {
    std::string text = "analysis";
    for (std::size_t i = 0; i < analysis->analyses.size(); ++i)
      text += (i == 0 ? " " : ", ") + analysis->analyses[i];
    return text;
  }
  return "test " + std::get<policy::TestStep>(step).name;
}

}  // namespace autocanary::coordinator

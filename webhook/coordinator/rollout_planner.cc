#include "webhook/coordinator/rollout_planner.h"

#include <algorithm>

#include "webhook/support/duration.h"

namespace autocanary::coordinator {

namespace {

using std::chrono::milliseconds;

// Watches wake the coordinator when something changes; this is only the
// safety net for an event that never comes.
constexpr milliseconds kSettleRecheck{5'000};

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
  Planner(const Observed& observed, const policy::CanaryPolicy& policy, support::SystemTime now)
      : o_(observed), policy_(policy), now_(now), now_text_(support::format_rfc3339(now)), st_(observed.status) {}

  Plan run() {
    if (!o_.pending_revision) {
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
    if (o_.record_exists && st_.phase == Phase::kPromoting && o_.live_revision == st_.revision) {
      if (!o_.stable_rolled_out) {
        st_.message = "rolling the Deployment out to revision " + st_.revision;
        requeue(kSettleRecheck);
        return;
      }
      emit(SetWeight{0});  // all traffic to the (now promoted) stable workload
      if (o_.canary.exists) emit(DeleteCanaryWorkload{});
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
    if (o_.canary.exists) {
      emit(SetWeight{0});
      emit(DeleteCanaryWorkload{});
    }
    if (o_.record_exists && !is_terminal(st_.phase)) {
      st_.phase = Phase::kFailed;
      st_.canary_weight = 0;
      st_.message = "the pending revision was withdrawn; canary removed";
      add_history("Withdrawn", st_.message);
      event(true, "CanaryWithdrawn", st_.message);
    }
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
    }
    if (o_.canary.exists) emit(DeleteCanaryWorkload{});
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
    if (o_.requests.paused) {
      if (st_.phase != Phase::kPaused) event(false, "Paused", "paused on request");
      st_.phase = Phase::kPaused;
      st_.message = "paused on request; traffic stays at " + std::to_string(st_.canary_weight) + "%";
      return;
    }
    if (st_.phase == Phase::kPaused) {
      st_.phase = Phase::kProgressing;
      event(false, "Resumed", "resumed on request");
    }
    if (st_.phase == Phase::kPromoting) {
      emit(PromoteDeployment{revision});  // asked before, not observed yet
      return;
    }

    if (!o_.canary.exists || o_.canary.revision != revision)
      emit(EnsureCanaryWorkload{revision, st_.canary_weight});
    if (runs_revision(revision) && o_.canary.crash_looping) {
      abort(revision, "canary pods are crash-looping");
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
    st_ = std::move(next);
    if (o_.retry_annotation) emit(AcknowledgeRetry{});
    for (const auto& warning : o_.policy_warnings) event(true, "PolicyWarning", warning);
    event(false, "CanaryStarted",
          "canary of revision " + revision + " started (" + std::to_string(policy_.steps.size()) +
              " steps; stable revision " + o_.live_revision + ")");
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
      if (!o_.traffic.settled || !runs_revision(revision)) return wait();
      st_.actual_weight = o_.traffic.actual_weight;
      return done("actual weight " + std::to_string(o_.traffic.actual_weight) + "%");
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
    if (const auto* analysis = std::get_if<policy::AnalysisStep>(&step)) return judge(analysis->analyses, revision);
    const auto& test = std::get<policy::TestStep>(step);
    return judge({test.name}, revision);
  }

  // Every named check must pass; the first failure fails the step.
  StepOutcome judge(const std::vector<std::string>& names, const std::string& revision) {
    bool pending = false;
    for (const auto& name : names) {
      if (name == kPodHealthAnalysis) {
        if (o_.canary.crash_looping) return fail("pod-health: canary pods are crash-looping");
        if (o_.canary.restarts > 0)
          return fail("pod-health: canary containers restarted " + std::to_string(o_.canary.restarts) + " times");
        if (o_.canary.readiness_flaps > kMaxReadinessFlaps)
          return fail("pod-health: canary pods lost readiness " + std::to_string(o_.canary.readiness_flaps) +
                      " times");
        if (!runs_revision(revision) || o_.canary.ready_replicas < o_.canary.replicas || o_.canary.replicas == 0)
          pending = true;
        continue;
      }
      const auto found = o_.checks.find(name);
      if (found == o_.checks.end() || found->second.verdict == Verdict::kPending) {
        pending = true;
      } else if (found->second.verdict == Verdict::kFailed) {
        return fail(name + ": " + found->second.message);
      }
    }
    return pending ? wait() : done("passed");
  }

  // ---- helpers ---------------------------------------------------------------

  bool runs_revision(const std::string& revision) const {
    return o_.canary.exists && o_.canary.revision == revision;
  }

  static bool is_new(const std::string& request, const std::string& handled) {
    return !request.empty() && request != handled;
  }

  milliseconds elapsed_since(const std::string& timestamp) const {
    const auto then = support::parse_rfc3339(timestamp);
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
  support::SystemTime now_;
  std::string now_text_;
  CanaryStatus st_;
  std::optional<CanaryStatus> last_written_;
  Plan plan_;
};

}  // namespace

Plan plan_rollout(const Observed& observed, const policy::CanaryPolicy& policy, support::SystemTime now) {
  return Planner(observed, policy, now).run();
}

std::string describe(const policy::Step& step) {
  if (const auto* set_weight = std::get_if<policy::SetWeightStep>(&step))
    return "setWeight " + std::to_string(set_weight->weight);
  if (const auto* pause = std::get_if<policy::PauseStep>(&step))
    return pause->duration ? "pause " + support::format_duration(*pause->duration) : "pause until approved";
  if (const auto* analysis = std::get_if<policy::AnalysisStep>(&step)) {
    std::string text = "analysis";
    for (std::size_t i = 0; i < analysis->analyses.size(); ++i)
      text += (i == 0 ? " " : ", ") + analysis->analyses[i];
    return text;
  }
  return "test " + std::get<policy::TestStep>(step).name;
}

}  // namespace autocanary::coordinator

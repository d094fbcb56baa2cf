#include "cli/steering.h"

#include <array>
#include <utility>

#include "common/json_fields.h"

namespace autocanary::cli {

namespace {

using nlohmann::json;

constexpr std::array<std::pair<Verb, std::string_view>, 5> kVerbs = {{
    {Verb::kPromote, "promote"},
    {Verb::kAbort, "abort"},
    {Verb::kRetry, "retry"},
    {Verb::kPause, "pause"},
    {Verb::kResume, "resume"},
}};

bool terminal(const std::string& phase) { return phase == "Succeeded" || phase == "Failed" || phase == "Cancelled"; }

std::string step_text(const json& canary, int offset = 0) {
  const int step = common::int_at(canary, "/status/currentStep") + offset;
  const auto& steps = common::array_field(common::at(canary, "/status/policy/spec"), "steps");
  std::string text = "step " + std::to_string(step + 1);
  if (!steps.empty()) text += "/" + std::to_string(steps.size());
  if (offset == 0) {
    const std::string description = common::string_at(canary, "/status/stepDescription");
    if (!description.empty()) text += " (" + description + ")";
  }
  return text;
}

SteerPlan refuse(std::string why) {
  SteerPlan plan;
  plan.refused = true;
  plan.will = std::move(why);
  return plan;
}

SteerPlan write(std::string will, json patch) {
  SteerPlan plan;
  plan.will = std::move(will);
  plan.patch = {{"spec", std::move(patch)}};
  return plan;
}

}  // namespace

std::optional<Verb> verb_from_string(std::string_view text) {
  for (const auto& [verb, name] : kVerbs)
    if (name == text) return verb;
  return std::nullopt;
}

std::string_view to_string(Verb verb) {
  for (const auto& [candidate, name] : kVerbs)
    if (candidate == verb) return name;
  return "?";
}

SteerPlan plan_steer(Verb verb, const json& canary, const std::string& token) {
  const std::string phase = common::string_at(canary, "/status/phase");
  const std::string revision = common::string_at(canary, "/status/revision");
  const bool paused = common::bool_field(common::child(&canary, "spec"), "paused");
  const std::string ended = "the canary of revision " + revision + " has ended (" + phase + ")";
  switch (verb) {
    case Verb::kPromote:
      if (terminal(phase)) return refuse("nothing to promote: " + ended);
      if (phase == "Aborting") return refuse("nothing to promote: revision " + revision + " is being aborted");
      if (phase == "Promoting") return refuse("revision " + revision + " is already being promoted");
      if (phase == "WaitingForApproval")
        return write("approve " + step_text(canary) + " of revision " + revision + "; the canary goes on to " +
                         step_text(canary, 1),
                     {{"promote", token}});
      return write("skip the remaining steps from " + step_text(canary) + " and promote revision " + revision +
                       (paused ? " (spec.paused holds it until resumed)" : ""),
                   {{"promote", token}});
    case Verb::kAbort:
      if (terminal(phase)) return refuse("nothing to abort: " + ended);
      if (phase == "Aborting") return refuse("revision " + revision + " is already being aborted");
      return write("abort revision " + revision + " at " + step_text(canary) +
                       ": all traffic back to the stable pods, the revision marked failed",
                   {{"abort", token}});
    case Verb::kRetry:
      if (phase != "Failed")
        return refuse("nothing to retry: the canary is " + (phase.empty() ? std::string("not started") : phase) +
                      "; retry takes a canary that failed");
      return write("retry revision " + revision + " from its first step", {{"retry", token}});
    case Verb::kPause:
      if (terminal(phase)) return refuse("nothing to pause: " + ended);
      if (paused) {
        SteerPlan plan;
        plan.nothing_to_do = true;
        plan.will = "already paused (spec.paused is true) at " + step_text(canary);
        return plan;
      }
      return write("pause revision " + revision + " at " + step_text(canary) +
                       ": no step starts or completes, traffic stays at " +
                       std::to_string(common::int_at(canary, "/status/canaryWeight")) + "%",
                   {{"paused", true}});
    case Verb::kResume:
      if (!paused) {
        SteerPlan plan;
        plan.nothing_to_do = true;
        plan.will = "not paused (spec.paused is not set); nothing to resume";
        return plan;
      }
      return write("resume revision " + revision + " at " + step_text(canary), {{"paused", false}});
  }
  return refuse("unknown request");
}

bool request_handled(Verb verb, const json& canary, const std::string& token) {
  const std::string phase = common::string_at(canary, "/status/phase");
  switch (verb) {
    case Verb::kPromote:
      return common::string_at(canary, "/status/handled/promote") == token;
    case Verb::kAbort:
      return common::string_at(canary, "/status/handled/abort") == token;
    case Verb::kRetry:
      return common::string_at(canary, "/status/handled/retry") == token;
    case Verb::kPause:
      return phase == "Paused" || terminal(phase);
    case Verb::kResume:
      return phase != "Paused";
  }
  return false;
}

std::string describe_state(const json& canary) {
  const std::string phase = common::string_at(canary, "/status/phase");
  std::string text = (phase.empty() ? std::string("not started") : phase) + " at " + step_text(canary) +
                     ", asked weight " + std::to_string(common::int_at(canary, "/status/canaryWeight")) + "%";
  const std::string message = common::string_at(canary, "/status/message");
  if (!message.empty()) text += ": " + message;
  return text;
}

std::string forbidden_message(std::string_view action, std::string_view resource, std::string_view namespace_name,
                              std::string_view apiserver_message) {
  const std::string where = namespace_name.empty() ? std::string("any namespace")
                                                   : "namespace " + std::string(namespace_name);
  const bool writes = action == "patch" || action == "update";
  std::string text = "permission denied: you may not " + std::string(action) + " " + std::string(resource) +
                     " in " + where + ".\n";
  if (writes)
    text += "Promoting, aborting, retrying, pausing and resuming write the Canary's spec: they need the "
            "namespace's edit (or admin) role, into which the autocanary chart aggregates `patch` on "
            "canaries.autocanary.io. The view role only reads canaries.\n";
  else
    text += "Reading canaries needs the namespace's view, edit or admin role, into which the autocanary chart "
            "aggregates `get`, `list` and `watch` on canaries.autocanary.io";
  if (!writes)
    text += resource == "canaries.autocanary.io" ? ".\n"
                                                 : "; the tree also reads Deployments, ReplicaSets and Pods.\n";
  text += "The apiserver said: " + std::string(apiserver_message);
  return text;
}

}  // namespace autocanary::cli

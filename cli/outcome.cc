#include "cli/outcome.h"

#include "common/json_fields.h"
#include "policy/names.h"

namespace autocanary::cli {

namespace {

using nlohmann::json;

std::string where(const json& canary) {
  const json* status = common::child(&canary, "status");
  std::string text = common::string_field(status, "phase");
  if (text.empty()) return "not started";
  const std::string step = common::string_field(status, "stepDescription");
  if (!step.empty()) text += " at step " + std::to_string(common::int_field(status, "currentStep") + 1) + " (" + step + ")";
  return text;
}

std::string with_message(std::string text, const json& canary) {
  const std::string message = common::string_at(canary, "/status/message");
  // The coordinator's own message may already say it ("revision X promoted").
  if (!message.empty() && message != text) text += ": " + message;
  return text;
}

// Why a canary was aborted: its failed step's message (the status message
// moves on to "held until retried"), else the history's, else the message.
std::string failure_reason(const json& canary) {
  const json* status = common::child(&canary, "status");
  std::string why;
  for (const auto& step : common::array_field(status, "steps"))
    if (common::string_field(&step, "result") == "Failed") why = common::string_field(&step, "message");
  if (why.empty()) {
    const auto& history = common::array_field(status, "history");
    if (!history.empty() && common::string_field(&history.back(), "outcome") == "Failed")
      why = common::string_field(&history.back(), "message");
  }
  return why.empty() ? common::string_field(status, "message") : why;
}

}  // namespace

Outcome judge(const json& canary, const json& deployment) {
  const std::string revision = common::string_at(canary, "/status/revision");
  if (deployment.is_object()) {
    const auto pending = common::annotation(deployment, names::kPendingRevisionAnnotation);
    const auto failed = common::annotation(deployment, names::kFailedRevisionAnnotation);
    if (pending && *pending != revision) {
      if (failed && *pending == *failed)
        return {true, kExitFailed, "failed",
                "revision " + *pending + " failed earlier and is held (retry it to roll it out again)"};
      return {false, kExitTimeout, "waiting", "revision " + *pending + " is pending; the canary has not started it yet"};
    }
  }
  if (!canary.is_object()) return {false, kExitTimeout, "waiting", "no canary yet"};
  const std::string phase = common::string_at(canary, "/status/phase");
  if (phase == "Succeeded")
    return {true, kExitPromoted, "promoted", with_message("revision " + revision + " promoted", canary)};
  if (phase == "Failed" || phase == "Aborting")
    return {true, kExitFailed, "failed", "revision " + revision + " aborted: " + failure_reason(canary)};
  // Not promoted, so not a success for whoever waits on it; but nothing failed.
  if (phase == "Cancelled") {
    const std::string message = common::string_at(canary, "/status/message");
    return {true, kExitFailed, "cancelled", message.empty() ? "revision " + revision + " not promoted" : message};
  }
  return {false, kExitTimeout, "waiting", where(canary)};
}

Outcome timed_out(const json& canary, const std::string& timeout_text) {
  return {true, kExitTimeout, "timeout", "timed out after " + timeout_text + "; the canary is " + where(canary)};
}

}  // namespace autocanary::cli

// promote, abort, retry, pause and resume: what each writes to the Canary's
// spec, what it will do given where the canary stands (or why it is refused),
// when the coordinator has handled it, and what came of it. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace autocanary::cli {

enum class Verb { kPromote, kAbort, kRetry, kPause, kResume };

[[nodiscard]] std::optional<Verb> verb_from_string(std::string_view text);
[[nodiscard]] std::string_view to_string(Verb verb);

struct SteerPlan {
  bool refused = false;    // nothing is written; `will` says why
  bool nothing_to_do = false;  // already as asked; nothing is written
  std::string will;        // "approves step 2 (pause until approved); …"
  nlohmann::json patch;    // merge patch of the Canary (spec only)
};

// `token` is the new request token (promote, abort, retry); ignored otherwise.
[[nodiscard]] SteerPlan plan_steer(Verb verb, const nlohmann::json& canary, const std::string& token);

// Whether the coordinator has acted on the request in `canary` (read after the write).
[[nodiscard]] bool request_handled(Verb verb, const nlohmann::json& canary, const std::string& token);

// "now Progressing at step 3/3 (setWeight 100), asked weight 100%: …"
[[nodiscard]] std::string describe_state(const nlohmann::json& canary);

// The message for a request the apiserver refused with 403: which permission
// is missing and which role grants it. `action` is "get", "list", "watch" or
// "patch"; `apiserver_message` is the Status message it sent.
[[nodiscard]] std::string forbidden_message(std::string_view action, std::string_view resource,
                                            std::string_view namespace_name,
                                            std::string_view apiserver_message);

}  // namespace autocanary::cli

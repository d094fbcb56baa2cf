// `kubectl autocanary status`: whether a canary has finished, and with which
// exit code, decided purely from the Canary and its Deployment.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace autocanary::cli {

inline constexpr int kExitPromoted = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitTimeout = 2;

struct Outcome {
  bool finished = false;
  int exit_code = kExitPromoted;
  std::string verdict;  // the first word printed: promoted, failed, cancelled, timeout
  std::string reason;   // one line, for the CI log
};

// `canary` is null when there is none; `deployment` null when it is missing.
// A Deployment with a pending revision the Canary does not roll out yet is not
// finished: the record still tells the previous rollout.
[[nodiscard]] Outcome judge(const nlohmann::json& canary, const nlohmann::json& deployment);

// The outcome when the wait ran out, with where the canary stands.
[[nodiscard]] Outcome timed_out(const nlohmann::json& canary, const std::string& timeout_text);

}  // namespace autocanary::cli

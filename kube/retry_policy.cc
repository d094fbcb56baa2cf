#include "kube/retry_policy.h"

#include <algorithm>
#include <charconv>

namespace autocanary::kube {

std::chrono::milliseconds backoff_delay(std::chrono::milliseconds initial,
                                        std::chrono::milliseconds max, int attempt,
                                        double jitter) noexcept {
  const int doublings = std::clamp(attempt - 1, 0, 30);
  const auto base = std::min(max.count(), initial.count() << doublings);
  const double spread = std::clamp(jitter, 0.0, 1.0) * static_cast<double>(base) / 2.0;
  return std::chrono::milliseconds(base / 2 + static_cast<long long>(spread));
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view header) noexcept {
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
  long long seconds = 0;
  const auto [end, status] = std::from_chars(header.data(), header.data() + header.size(), seconds);
  if (header.empty() || status != std::errc() || end != header.data() + header.size() ||
      seconds < 0 || seconds > 24 * 3600)
    return std::nullopt;
  return std::chrono::seconds(seconds);
}

std::optional<std::chrono::milliseconds> retry_delay(const RetryPolicy& policy, int attempts_made,
                                                     const AttemptOutcome& outcome,
                                                     bool idempotent, double jitter) noexcept {
  if (attempts_made >= policy.max_attempts) return std::nullopt;

  bool may_retry = false;
  switch (outcome.delivery) {
    case Delivery::kNotSent: may_retry = true; break;
    case Delivery::kUnknown: may_retry = idempotent; break;
    case Delivery::kResponded:
      if (outcome.http_status == 429) {
        may_retry = true;
      } else if (outcome.http_status == 500 || outcome.http_status == 502 ||
                 outcome.http_status == 503 || outcome.http_status == 504) {
        may_retry = idempotent;
      }
      break;
  }
  if (!may_retry) return std::nullopt;

  if (outcome.delivery == Delivery::kResponded) {
    if (const auto wait = parse_retry_after(outcome.retry_after))
      return std::min(*wait, policy.max_retry_after);
  }
  return backoff_delay(policy.initial_backoff, policy.max_backoff, attempts_made, jitter);
}

}  // namespace autocanary::kube

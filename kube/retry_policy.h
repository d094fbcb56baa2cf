// When a failed API request is tried again, and after how long. Pure functions of
// what happened; the caller supplies the randomness, so every decision is testable.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace autocanary::kube {

struct RetryPolicy {
  int max_attempts = 5;  // including the first
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{5'000};
  // A Retry-After beyond this is cut down to it: a call must stay bounded.
  std::chrono::milliseconds max_retry_after{10'000};
};

// How far a failed attempt got.
enum class Delivery {
  kResponded,  // an HTTP response arrived
  kNotSent,    // connecting or the TLS handshake failed: the apiserver never saw it
  kUnknown,    // the connection broke or timed out mid-request: it may have been applied
};

struct AttemptOutcome {
  Delivery delivery = Delivery::kResponded;
  int http_status = 0;
  std::string_view retry_after;  // the Retry-After header, if any
};

// Exponential backoff for the `attempt`th retry (1-based), capped, with jitter in
// [0, 1) spreading it over the upper half so that clients do not retry in step.
[[nodiscard]] std::chrono::milliseconds backoff_delay(std::chrono::milliseconds initial,
                                                      std::chrono::milliseconds max, int attempt,
                                                      double jitter) noexcept;

// Retry-After in delta-seconds form (the only form the apiserver sends).
[[nodiscard]] std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view header) noexcept;

// How long to wait before attempt `attempts_made + 1`, or nothing to give up.
//  - 429: the apiserver refused before doing anything, so every verb may retry.
//  - 500/502/503/504 and a broken connection: the request may have been applied,
//    so only idempotent requests retry (a create would risk a duplicate).
//  - A request that never left (connect/TLS failure) may always retry.
// Retry-After, when present, replaces the backoff.
[[nodiscard]] std::optional<std::chrono::milliseconds> retry_delay(const RetryPolicy& policy,
                                                                   int attempts_made,
                                                                   const AttemptOutcome& outcome,
                                                                   bool idempotent,
                                                                   double jitter) noexcept;

}  // namespace autocanary::kube

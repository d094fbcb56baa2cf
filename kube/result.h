// Errors from the Kubernetes API as values: what the apiserver said (its Status) or
// why no answer arrived, and a small expected-like Result<T> to carry them.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace autocanary::kube {

// Reasons for failures that never produced an apiserver Status.
inline constexpr const char* kReasonConnectionFailed = "ConnectionFailed";  // request never sent
inline constexpr const char* kReasonTransportFailed = "TransportFailed";    // outcome unknown
inline constexpr const char* kReasonInvalidResponse = "InvalidResponse";
inline constexpr const char* kReasonInvalidRequest = "InvalidRequest";  // refused before sending
// The caller withdrew (its Lease was lost): the request was cut off or never sent.
inline constexpr const char* kReasonAborted = "Aborted";

struct KubeError {
  int http_status = 0;  // 0 when no HTTP response arrived
  std::string reason;   // Status.reason ("NotFound", "Conflict", "Expired", …) or kReason*
  std::string message;
  // The same request may succeed later unchanged (throttling, server or connection trouble).
  // A Conflict needs a fresh read and an Expired watch a fresh list instead, so neither is.
  bool retryable = false;

  [[nodiscard]] bool is_not_found() const noexcept { return http_status == 404; }
  [[nodiscard]] bool is_already_exists() const noexcept { return reason == "AlreadyExists"; }
  // 409 covers both; only a Conflict is cured by re-reading.
  [[nodiscard]] bool is_conflict() const noexcept {
    return http_status == 409 && reason != "AlreadyExists";
  }
  // The resourceVersion is too old (watch or continue token): list again.
  [[nodiscard]] bool is_expired() const noexcept {
    return http_status == 410 || reason == "Expired" || reason == "Gone";
  }
  [[nodiscard]] std::string describe() const;
};

inline std::string KubeError::describe() const {
  std::string text = reason.empty() ? std::string("Error") : reason;
  if (http_status != 0) text += " (HTTP " + std::to_string(http_status) + ")";
  if (!message.empty()) text += ": " + message;
  return text;
}

// Either a T or a KubeError. Tests as bool; value() on an error is a programming error.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  Result(KubeError error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  [[nodiscard]] bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  [[nodiscard]] T& value() & { return std::get<0>(state_); }
  [[nodiscard]] const T& value() const& { return std::get<0>(state_); }
  [[nodiscard]] T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  [[nodiscard]] const KubeError& error() const& { return std::get<1>(state_); }
  [[nodiscard]] KubeError&& error() && { return std::get<1>(std::move(state_)); }

 private:
  std::variant<T, KubeError> state_;
};

// Success without a value, or a KubeError.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(KubeError error) : error_(std::move(error)) {}  // NOLINT: implicit

  [[nodiscard]] bool ok() const noexcept { return !error_.has_value(); }
  explicit operator bool() const noexcept { return ok(); }

  [[nodiscard]] const KubeError& error() const& {
    assert(error_.has_value());
    return *error_;
  }

 private:
  std::optional<KubeError> error_;
};

}  // namespace autocanary::kube

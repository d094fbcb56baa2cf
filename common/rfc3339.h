// Timestamps as Kubernetes writes them: RFC 3339 in UTC ("2026-11-22T10:00:00Z",
// optionally with a fraction of a second).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace autocanary::common {

using SystemTime = std::chrono::system_clock::time_point;

// Whole seconds ("…:05Z"), as Kubernetes stores metav1.Time.
[[nodiscard]] std::string format_rfc3339(SystemTime time);
// With milliseconds ("…:05.678Z"), for logs.
[[nodiscard]] std::string format_rfc3339_millis(SystemTime time);

[[nodiscard]] std::optional<SystemTime> parse_rfc3339(std::string_view text);

}  // namespace autocanary::common

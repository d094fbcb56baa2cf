// Durations as Kubernetes writes them (Go's time.ParseDuration): "10s", "1m30s",
// "250ms", "1.5h". Used for the apiserver's ?timeout= and for policy fields.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace autocanary::common {

[[nodiscard]] std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text);

// Shortest Go-style spelling: 90s → "1m30s", 250ms → "250ms", 0 → "0s".
[[nodiscard]] std::string format_duration(std::chrono::nanoseconds duration);

}  // namespace autocanary::common

#include "webhook/support/log.h"

#include <chrono>
#include <ctime>
#include <string>

namespace autocanary::support {

namespace {

std::string_view level_name(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

// RFC 3339 in UTC with milliseconds, e.g. 2026-01-02T03:04:05.678Z.
std::string timestamp_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  const std::size_t length = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
  std::string text(buffer, length);
  char fraction[8];
  std::snprintf(fraction, sizeof fraction, ".%03dZ", static_cast<int>(millis));
  return text + fraction;
}

}  // namespace

bool parse_log_level(std::string_view text, LogLevel& level) noexcept {
  for (LogLevel candidate : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    if (text == level_name(candidate)) {
      level = candidate;
      return true;
    }
  }
  return false;
}

void Logger::log(LogLevel level, std::string_view message, const nlohmann::json& fields) {
  if (!enabled(level)) return;
  // Ordered so every line starts with ts, level, msg.
  nlohmann::ordered_json line = {{"ts", timestamp_now()},
                                 {"level", level_name(level)},
                                 {"msg", message}};
  if (fields.is_object())
    for (const auto& [key, value] : fields.items()) line[key] = value;
  // Replace invalid UTF-8 (e.g. from a hostile request) rather than throw.
  const std::string text =
      line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
  const std::lock_guard lock(mutex_);
  std::fwrite(text.data(), 1, text.size(), sink_);
  std::fflush(sink_);
}

}  // namespace autocanary::support

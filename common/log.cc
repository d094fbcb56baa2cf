#include "common/log.h"

#include <chrono>
#include <string>

#include "common/rfc3339.h"

namespace autocanary::common {

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
  nlohmann::ordered_json line = {{"ts", format_rfc3339_millis(std::chrono::system_clock::now())},
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

}  // namespace autocanary::common

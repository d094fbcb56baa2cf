// Structured logs: one JSON object per line on stderr, so log pipelines need no
// parsing rules. Cheap enough to call per request at debug level when disabled.
#pragma once

#include <cstdio>
#include <mutex>
#include <string_view>

#include <nlohmann/json.hpp>

namespace autocanary::common {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

[[nodiscard]] bool parse_log_level(std::string_view text, LogLevel& level) noexcept;

class Logger {
 public:
  explicit Logger(LogLevel min_level = LogLevel::kInfo, std::FILE* sink = stderr) noexcept
      : min_level_(min_level), sink_(sink) {}

  [[nodiscard]] bool enabled(LogLevel level) const noexcept { return level >= min_level_; }

  void log(LogLevel level, std::string_view message, const nlohmann::json& fields = nullptr);
  void debug(std::string_view m, const nlohmann::json& f = nullptr) { log(LogLevel::kDebug, m, f); }
  void info(std::string_view m, const nlohmann::json& f = nullptr) { log(LogLevel::kInfo, m, f); }
  void warn(std::string_view m, const nlohmann::json& f = nullptr) { log(LogLevel::kWarn, m, f); }
  void error(std::string_view m, const nlohmann::json& f = nullptr) { log(LogLevel::kError, m, f); }

 private:
  LogLevel min_level_;
  std::FILE* sink_;
  std::mutex mutex_;
};

}  // namespace autocanary::common

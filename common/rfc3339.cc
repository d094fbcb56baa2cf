#include "common/rfc3339.h"

#include <cstdio>
#include <ctime>

namespace autocanary::common {

namespace {

std::string whole_seconds(SystemTime time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  const std::size_t length = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
  return std::string(buffer, length);
}

}  // namespace

std::string format_rfc3339(SystemTime time) { return whole_seconds(time) + "Z"; }

std::string format_rfc3339_millis(SystemTime time) {
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count() % 1000;
  char fraction[8];
  std::snprintf(fraction, sizeof fraction, ".%03dZ", static_cast<int>(millis));
  return whole_seconds(time) + fraction;
}

std::optional<SystemTime> parse_rfc3339(std::string_view text) {
  std::tm utc{};
  int consumed = 0;
  const std::string copy(text);
  if (std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &utc.tm_year, &utc.tm_mon, &utc.tm_mday,
                  &utc.tm_hour, &utc.tm_min, &utc.tm_sec, &consumed) != 6)
    return std::nullopt;
  utc.tm_year -= 1900;
  utc.tm_mon -= 1;
  std::string_view rest = text.substr(static_cast<std::size_t>(consumed));
  std::chrono::nanoseconds fraction{0};
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    long long scale = 100'000'000;
    while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') {
      fraction += std::chrono::nanoseconds((rest.front() - '0') * scale);
      scale /= 10;
      rest.remove_prefix(1);
    }
  }
  if (rest != "Z") return std::nullopt;  // we only ever write UTC
  const std::time_t seconds = timegm(&utc);
  if (seconds == -1) return std::nullopt;
  return std::chrono::time_point_cast<SystemTime::duration>(std::chrono::system_clock::from_time_t(seconds) +
                                                            fraction);
}

}  // namespace autocanary::common

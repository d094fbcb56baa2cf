#include "common/duration.h"

#include <cmath>
#include <cstdint>
#include <limits>

namespace autocanary::common {

namespace {

struct Unit {
  std::string_view suffix;
  double nanoseconds;
};

// Longer suffixes first so "ms" is not read as "m" followed by "s".
constexpr Unit kUnits[] = {{"ns", 1.0},       {"us", 1e3},  {"µs", 1e3}, {"ms", 1e6},
                           {"s", 1e9},        {"m", 60e9},  {"h", 3600e9}};

}  // namespace

std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  bool negative = false;
  if (text.front() == '-' || text.front() == '+') {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (text == "0") return std::chrono::nanoseconds(0);
  if (text.empty()) return std::nullopt;

  double total = 0;
  while (!text.empty()) {
    std::size_t digits = 0;
    bool seen_digit = false;
    bool seen_dot = false;
    while (digits < text.size() &&
           ((text[digits] >= '0' && text[digits] <= '9') || (text[digits] == '.' && !seen_dot))) {
      if (text[digits] == '.') {
        seen_dot = true;
      } else {
        seen_digit = true;
      }
      ++digits;
    }
    if (!seen_digit) return std::nullopt;
    const double number = std::stod(std::string(text.substr(0, digits)));
    text.remove_prefix(digits);

    const Unit* unit = nullptr;
    for (const Unit& candidate : kUnits) {
      if (text.starts_with(candidate.suffix)) {
        unit = &candidate;
        break;
      }
    }
    if (unit == nullptr) return std::nullopt;  // a unit is required after every number
    text.remove_prefix(unit->suffix.size());
    total += number * unit->nanoseconds;
  }
  if (total > static_cast<double>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
  const auto nanos = static_cast<std::int64_t>(std::llround(total));
  return std::chrono::nanoseconds(negative ? -nanos : nanos);
}

std::string format_duration(std::chrono::nanoseconds duration) {
  using namespace std::chrono;
  if (duration == nanoseconds(0)) return "0s";
  std::string text = duration < nanoseconds(0) ? "-" : "";
  auto rest = duration < nanoseconds(0) ? -duration : duration;
  if (rest < seconds(1)) {
    if (rest % milliseconds(1) == nanoseconds(0))
      return text + std::to_string(duration_cast<milliseconds>(rest).count()) + "ms";
    return text + std::to_string(rest.count()) + "ns";
  }
  if (const auto h = duration_cast<hours>(rest); h.count() > 0) {
    text += std::to_string(h.count()) + "h";
    rest -= h;
  }
  if (const auto m = duration_cast<minutes>(rest); m.count() > 0) {
    text += std::to_string(m.count()) + "m";
    rest -= m;
  }
  if (rest > nanoseconds(0)) {
    const auto s = duration_cast<seconds>(rest);
    const auto fraction = duration_cast<milliseconds>(rest - s).count();
    text += std::to_string(s.count());
    if (fraction > 0) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, ".%03d", static_cast<int>(fraction));
      std::string digits(buffer);
      while (digits.back() == '0') digits.pop_back();
      text += digits;
    }
    text += "s";
  }
  return text;
}

}  // namespace autocanary::common

// Writing JSON text fast where it is large: a string already known to be valid
// UTF-8 (every string nlohmann::json parsed or produced is) only needs quotes,
// backslashes and control characters escaped, which can be copied in runs.
#pragma once

#include <string>
#include <string_view>

namespace autocanary::common {

// Appends `text` as a quoted JSON string. `text` must be valid UTF-8.
void append_json_string(std::string& out, std::string_view text);

// Whether JSON text nests objects and arrays deeper than `limit`, found by one
// scan that skips strings. Run on untrusted text before parsing it, so that
// later recursion over the parsed value (compare, dump, diff) stays bounded.
[[nodiscard]] bool json_nesting_exceeds(std::string_view text, int limit) noexcept;

}  // namespace autocanary::common

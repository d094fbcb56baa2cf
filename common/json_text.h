// Writing JSON text fast where it is large: a string already known to be valid
// UTF-8 (every string nlohmann::json parsed or produced is) only needs quotes,
// backslashes and control characters escaped, which can be copied in runs.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace autocanary::common {

// Appends `text` as a quoted JSON string. `text` must be valid UTF-8.
void append_json_string(std::string& out, std::string_view text);

// Appends exactly the text of `value.dump()` (compact, keys in order), strings
// escaped in runs; a string that is not valid UTF-8 throws what dump() throws.
void append_json(std::string& out, const nlohmann::json& value);

// What parsing JSON text would build, found by one scan that skips strings and
// allocates nothing. Run on untrusted text before parsing it.
struct JsonShape {
  int depth = 0;  // how deep objects and arrays nest
  // An upper bound on the values and object members the parsed tree holds
  // (1 + objects and arrays + commas): what its memory grows with.
  std::size_t elements = 0;
};
[[nodiscard]] JsonShape json_shape(std::string_view text) noexcept;

// Whether JSON text nests objects and arrays deeper than `limit`, so that later
// recursion over the parsed value (compare, dump, diff) stays bounded.
[[nodiscard]] bool json_nesting_exceeds(std::string_view text, int limit) noexcept;

}  // namespace autocanary::common

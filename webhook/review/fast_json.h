// JSON text to an nlohmann::json tree, read by simdjson: one SIMD pass checks the
// whole text (structure, UTF-8, escapes, numbers) and unescapes every string,
// and the tree is built from its result, so nlohmann's lexer, which reads and
// appends one character at a time, is not run. The tree is the one
// nlohmann::json::parse builds from the same text: same members (the last of a
// duplicated key), same strings, same numbers (a non-negative integer as
// number_unsigned, a negative one as number_integer, the rest as double).
//
// simdjson refuses a few texts nlohmann accepts (an integer beyond 64 bits, a
// leading byte-order mark, bytes after a NUL); on those and on malformed text
// this returns nullopt, and nlohmann::json::parse gives the verdict.
//
// The caller bounds the text first (size, nesting, value count): building
// recurses once per nesting level.
#pragma once

#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

namespace autocanary::api {

[[nodiscard]] std::optional<nlohmann::json> parse_json_fast(std::string_view text);

}  // namespace autocanary::api

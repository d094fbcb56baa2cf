// "Did you mean …?": the known word nearest a mistyped one, for the messages
// that answer a typo in a command, a flag or an annotation key.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

namespace autocanary::common {

// Levenshtein distance (insertions, deletions, substitutions), for short words.
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest `word`, if one is at most `max_distance` edits away
// (the first of equally near ones).
[[nodiscard]] std::optional<std::string_view> nearest_word(std::string_view word,
                                                           std::span<const std::string_view> candidates,
                                                           std::size_t max_distance = 3);

}  // namespace autocanary::common

// Reading optional fields of API objects: absent or mistyped fields read as empty,
// nothing throws.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace autocanary::kube {

// The member `key` of `object`, or null when `object` is null, not an object, or lacks it.
[[nodiscard]] const nlohmann::json* child(const nlohmann::json* object, std::string_view key);

// The string member `key` of `object`; empty when absent or not a string.
[[nodiscard]] std::string string_field(const nlohmann::json* object, std::string_view key);

// The integer at JSON pointer `pointer` ("/status/readyReplicas") of `object`;
// `fallback` when `object` is null or the value is absent or not an integer.
[[nodiscard]] int int_at(const nlohmann::json* object, const std::string& pointer, int fallback = 0);

// metadata.<key> of an API object as a string ("name", "resourceVersion", …).
[[nodiscard]] std::string metadata_string(const nlohmann::json& object, std::string_view key);

// metadata.labels.<key> of an API object; empty when absent.
[[nodiscard]] std::string label(const nlohmann::json& object, std::string_view key);

}  // namespace autocanary::kube

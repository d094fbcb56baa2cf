// Reading fields of JSON documents we do not control (API objects, status that
// anyone may edit, answers of other services): an absent or mistyped field
// reads as empty or as the fallback, and nothing throws.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace autocanary::common {

// The member `key` of `object`, or null when `object` is null, not an object, or lacks it.
[[nodiscard]] const nlohmann::json* child(const nlohmann::json* object, std::string_view key);

// The value at JSON pointer `pointer` ("/status/readyReplicas", "/spec/containers/0"),
// or null when it is absent or the pointer is malformed.
[[nodiscard]] const nlohmann::json* at(const nlohmann::json& object, std::string_view pointer);

// Typed reads of a member: nullopt (or the fallback) when absent or of another type.
[[nodiscard]] std::optional<std::string> optional_string(const nlohmann::json* value);
[[nodiscard]] std::string string_field(const nlohmann::json* object, std::string_view key);
[[nodiscard]] int int_field(const nlohmann::json* object, std::string_view key, int fallback = 0);
[[nodiscard]] std::optional<double> number_field(const nlohmann::json* object, std::string_view key);
[[nodiscard]] bool bool_field(const nlohmann::json* object, std::string_view key);
// The array `key` of `object`; an empty array when absent or not an array.
[[nodiscard]] const nlohmann::json& array_field(const nlohmann::json* object, std::string_view key);

// The value at `pointer`, or a null value when absent: for reading on without checks.
[[nodiscard]] const nlohmann::json& value_at(const nlohmann::json& object, std::string_view pointer);

// Typed reads at a JSON pointer.
[[nodiscard]] std::string string_at(const nlohmann::json& object, std::string_view pointer);
[[nodiscard]] int int_at(const nlohmann::json& object, std::string_view pointer, int fallback = 0);
[[nodiscard]] int int_at(const nlohmann::json* object, std::string_view pointer, int fallback = 0);

// metadata.<key> of an API object as a string ("name", "resourceVersion", …).
[[nodiscard]] std::string metadata_string(const nlohmann::json& object, std::string_view key);

// metadata.labels.<key> of an API object; empty when absent.
[[nodiscard]] std::string label(const nlohmann::json& object, std::string_view key);

// metadata.labels of an API object (may be null) when it is an object; null otherwise.
[[nodiscard]] const nlohmann::json* labels(const nlohmann::json* object);

// metadata.annotations of an API object (may be null) when it is an object; null otherwise.
[[nodiscard]] const nlohmann::json* annotations(const nlohmann::json* object);

// metadata.annotations.<key> of an API object; nullopt when absent.
[[nodiscard]] std::optional<std::string> annotation(const nlohmann::json& object, std::string_view key);

}  // namespace autocanary::common

#include "common/json_fields.h"

#include <charconv>

namespace autocanary::common {

namespace {

using nlohmann::json;

// One reference token of a JSON pointer, unescaped ("~1" → "/", "~0" → "~");
// nullopt for a malformed escape.
std::optional<std::string> unescape(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (token[i] != '~') {
      out += token[i];
      continue;
    }
    if (i + 1 == token.size() || (token[i + 1] != '0' && token[i + 1] != '1')) return std::nullopt;
    out += token[++i] == '0' ? '~' : '/';
  }
  return out;
}

const json* element(const json& array, std::string_view token) {
  std::size_t index = 0;
  const auto [end, error] = std::from_chars(token.data(), token.data() + token.size(), index);
  if (error != std::errc() || end != token.data() + token.size() || token.empty()) return nullptr;
  return index < array.size() ? &array[index] : nullptr;
}

}  // namespace

const json* child(const json* object, std::string_view key) {
  if (object == nullptr || !object->is_object()) return nullptr;
  const auto found = object->find(key);
  return found == object->end() ? nullptr : &*found;
}

const json* at(const json& object, std::string_view pointer) {
  const json* current = &object;
  while (!pointer.empty()) {
    if (pointer.front() != '/') return nullptr;
    pointer.remove_prefix(1);
    const std::size_t slash = pointer.find('/');
    const std::string_view token = pointer.substr(0, slash);
    pointer = slash == std::string_view::npos ? std::string_view() : pointer.substr(slash);
    if (current->is_array()) {
      current = element(*current, token);
    } else {
      const auto key = unescape(token);
      current = key ? child(current, *key) : nullptr;
    }
    if (current == nullptr) return nullptr;
  }
  return current;
}

std::optional<std::string> optional_string(const json* value) {
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return value->get<std::string>();
}

std::string string_field(const json* object, std::string_view key) {
  return optional_string(child(object, key)).value_or(std::string());
}

int int_field(const json* object, std::string_view key, int fallback) {
  const json* value = child(object, key);
  return value != nullptr && value->is_number_integer() ? value->get<int>() : fallback;
}

std::optional<double> number_field(const json* object, std::string_view key) {
  const json* value = child(object, key);
  if (value == nullptr || !value->is_number()) return std::nullopt;
  return value->get<double>();
}

bool bool_field(const json* object, std::string_view key) {
  const json* value = child(object, key);
  return value != nullptr && value->is_boolean() && value->get<bool>();
}

const json& array_field(const json* object, std::string_view key) {
  static const json kEmpty = json::array();
  const json* value = child(object, key);
  return value != nullptr && value->is_array() ? *value : kEmpty;
}

const json& value_at(const json& object, std::string_view pointer) {
  static const json kNull;
  const json* value = at(object, pointer);
  return value != nullptr ? *value : kNull;
}

std::string string_at(const json& object, std::string_view pointer) {
  return optional_string(at(object, pointer)).value_or(std::string());
}

int int_at(const json& object, std::string_view pointer, int fallback) {
  const json* value = at(object, pointer);
  return value != nullptr && value->is_number_integer() ? value->get<int>() : fallback;
}

int int_at(const json* object, std::string_view pointer, int fallback) {
  return object == nullptr ? fallback : int_at(*object, pointer, fallback);
}

std::string metadata_string(const json& object, std::string_view key) {
  return string_field(child(&object, "metadata"), key);
}

std::string label(const json& object, std::string_view key) { return string_field(labels(&object), key); }

const json* labels(const json* object) {
  const json* found = child(child(object, "metadata"), "labels");
  return found != nullptr && found->is_object() ? found : nullptr;
}

const json* annotations(const json* object) {
  const json* found = child(child(object, "metadata"), "annotations");
  return found != nullptr && found->is_object() ? found : nullptr;
}

std::optional<std::string> annotation(const json& object, std::string_view key) {
  return optional_string(child(annotations(&object), key));
}

}  // namespace autocanary::common

#include "webhook/kube/json_fields.h"

namespace autocanary::kube {

const nlohmann::json* child(const nlohmann::json* object, std::string_view key) {
  if (object == nullptr || !object->is_object()) return nullptr;
  const auto found = object->find(key);
  return found == object->end() ? nullptr : &*found;
}

std::string string_field(const nlohmann::json* object, std::string_view key) {
  const nlohmann::json* value = child(object, key);
  return value != nullptr && value->is_string() ? value->get<std::string>() : std::string();
}

int int_at(const nlohmann::json* object, const std::string& pointer, int fallback) {
  if (object == nullptr) return fallback;
  const nlohmann::json::json_pointer path{pointer};
  if (!object->contains(path)) return fallback;
  const nlohmann::json& value = object->at(path);
  return value.is_number_integer() ? value.get<int>() : fallback;
}

std::string metadata_string(const nlohmann::json& object, std::string_view key) {
  return string_field(child(&object, "metadata"), key);
}

std::string label(const nlohmann::json& object, std::string_view key) {
  return string_field(child(child(&object, "metadata"), "labels"), key);
}

}  // namespace autocanary::kube

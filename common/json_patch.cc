#include "common/json_patch.h"

#include <utility>

#include "common/json_text.h"

namespace autocanary::common {

using nlohmann::json;

std::string escape_pointer_token(std::string_view token) {
  std::string escaped;
  escaped.reserve(token.size());
  for (char c : token) {
    if (c == '~') {
      escaped += "~0";
    } else if (c == '/') {
      escaped += "~1";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

void JsonPatch::add(std::string path, json value) {
  ops_.push_back({{"op", "add"}, {"path", std::move(path)}, {"value", std::move(value)}});
}

void JsonPatch::replace(std::string path, json value) {
  ops_.push_back({{"op", "replace"}, {"path", std::move(path)}, {"value", std::move(value)}});
}

void JsonPatch::remove(std::string path) {
  ops_.push_back({{"op", "remove"}, {"path", std::move(path)}});
}

void JsonPatch::transform(const std::string& path, const json& from, const json& to) {
  for (auto& op : json::diff(from, to, path)) ops_.push_back(std::move(op));
}

std::string JsonPatch::serialize() const {
  std::string out = "[";
  for (const auto& op : ops_) {
    if (out.size() > 1) out += ',';
    out += "{\"op\":";
    common::append_json_string(out, op["op"].get_ref<const std::string&>());
    out += ",\"path\":";
    common::append_json_string(out, op["path"].get_ref<const std::string&>());
    if (const auto value = op.find("value"); value != op.end()) {
      out += ",\"value\":";
      if (value->is_string()) {
        common::append_json_string(out, value->get_ref<const std::string&>());
      } else {
        out += value->dump();
      }
    }
    out += '}';
  }
  out += ']';
  return out;
}

void JsonPatch::set_map_entries(const json& object, std::string_view map_path,
                                const std::map<std::string, std::optional<std::string>>& wanted) {
  const json::json_pointer pointer{std::string(map_path)};
  const json* current = object.contains(pointer) ? &object.at(pointer) : nullptr;
  if (current != nullptr && !current->is_object()) current = nullptr;

  if (current == nullptr) {
    json created = json::object();
    for (const auto& [key, value] : wanted)
      if (value) created[key] = *value;
    if (!created.empty()) {
      // A null map ("annotations": null) is replaced; an absent one is added.
      if (object.contains(pointer)) {
        replace(std::string(map_path), std::move(created));
      } else {
        add(std::string(map_path), std::move(created));
      }
    }
    return;
  }

  for (const auto& [key, value] : wanted) {
    const std::string path = std::string(map_path) + "/" + escape_pointer_token(key);
    const auto found = current->find(key);
    if (!value) {
      if (found != current->end()) remove(path);
    } else if (found == current->end()) {
      add(path, *value);
    } else if (!found->is_string() || found->get_ref<const std::string&>() != *value) {
      replace(path, *value);
    }
  }
}

}  // namespace autocanary::common

#include "common/json_patch.h"

#include <algorithm>
#include <string_view>
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

namespace {

// Appends the operations json::diff(from, to, path) gives, in the same order,
// for about half its work on a large template: the path is one buffer,
// extended and cut back, and an equal child is passed over after one
// comparison, where json::diff builds the child's path string first and
// returns the empty patch it made for it.
void append_diff(json& ops, std::string& path, const json& from, const json& to) {
  const auto op = [](const char* name, const std::string& at) { return json{{"op", name}, {"path", at}}; };
  const auto with_value = [](json operation, const json& value) {
    operation["value"] = value;
    return operation;
  };
  const std::size_t length = path.size();
  const auto descend = [&](std::string_view token, const json& child_from, const json& child_to) {
    path += '/';
    path += token;
    append_diff(ops, path, child_from, child_to);
    path.resize(length);
  };
  if (from.type() == to.type() && from.is_array()) {
    const std::size_t common = std::min(from.size(), to.size());
    for (std::size_t i = 0; i < common; ++i)
      if (from[i] != to[i]) descend(std::to_string(i), from[i], to[i]);
    // Items beyond the new end, the last first (json::diff's order).
    for (std::size_t i = from.size(); i > common; --i) ops.push_back(op("remove", path + "/" + std::to_string(i - 1)));
    for (std::size_t i = common; i < to.size(); ++i) ops.push_back(with_value(op("add", path + "/-"), to[i]));
  } else if (from.type() == to.type() && from.is_object()) {
    for (const auto& [key, value] : from.items()) {
      const auto found = to.find(key);
      if (found == to.end()) {
        ops.push_back(op("remove", path + "/" + escape_pointer_token(key)));
      } else if (value != *found) {
        descend(escape_pointer_token(key), value, *found);
      }
    }
    for (const auto& [key, value] : to.items())
      if (!from.contains(key)) ops.push_back(with_value(op("add", path + "/" + escape_pointer_token(key)), value));
  } else if (from != to) {  // 1 and 1.0 are equal: no operation, as in json::diff
    ops.push_back(with_value(op("replace", path), to));
  }
}

}  // namespace

void JsonPatch::transform(const std::string& path, const json& from, const json& to) {
  std::string at = path;
  append_diff(ops_, at, from, to);
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

#include "common/yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <string>

namespace autocanary::common {

namespace {

using nlohmann::json;

json scalar(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  // A quoted scalar ("25", 'true') is a string whatever it looks like.
  if (node.Tag() == "!") return text;
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  if (text == "null" || text == "~" || text.empty()) return nullptr;
  long long integer = 0;
  if (const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), integer);
      error == std::errc() && end == text.data() + text.size())
    return integer;
  double number = 0;
  if (const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
      error == std::errc() && end == text.data() + text.size())
    return number;
  return text;
}

json convert(const YAML::Node& node, int depth) {
  if (depth > 64) throw YAML::Exception(node.Mark(), "nested too deeply");
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json object = json::object();
      for (const auto& entry : node) object[entry.first.as<std::string>()] = convert(entry.second, depth + 1);
      return object;
    }
    case YAML::NodeType::Sequence: {
      json array = json::array();
      for (const auto& item : node) array.push_back(convert(item, depth + 1));
      return array;
    }
    case YAML::NodeType::Scalar: return scalar(node);
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: return nullptr;
  }
  return nullptr;
}

}  // namespace

std::variant<json, std::string> yaml_to_json(std::string_view text) {
  try {
    return convert(YAML::Load(std::string(text)), 0);
  } catch (const YAML::Exception& error) {
    return std::string("invalid YAML: ") + error.what();
  }
}

}  // namespace autocanary::common

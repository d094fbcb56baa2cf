#include "kube/label_selector.h"

#include <algorithm>

namespace autocanary::kube {

namespace {

using nlohmann::json;

const json* label_value(const json& labels, const std::string& key) {
  if (!labels.is_object()) return nullptr;
  const auto found = labels.find(key);
  return found != labels.end() && found->is_string() ? &*found : nullptr;
}

std::variant<bool, std::string> expression_holds(const json& expression, const json& labels) {
  if (!expression.is_object()) return std::string("matchExpressions: each entry must be an object");
  const json key = expression.value("key", json());
  const json op = expression.value("operator", json());
  const json values = expression.value("values", json::array());
  if (!key.is_string() || !op.is_string() || !values.is_array())
    return std::string("matchExpressions: key and operator must be strings, values a list");
  const json* value = label_value(labels, key.get<std::string>());
  const std::string name = op.get<std::string>();
  if (name == "Exists") return value != nullptr;
  if (name == "DoesNotExist") return value == nullptr;
  if (name != "In" && name != "NotIn")
    return "matchExpressions: unknown operator " + name + " (In, NotIn, Exists, DoesNotExist)";
  if (values.empty()) return "matchExpressions: " + name + " needs values";
  const bool listed = value != nullptr && std::find(values.begin(), values.end(), *value) != values.end();
  return name == "In" ? listed : !listed;
}

}  // namespace

std::variant<bool, std::string> label_selector_matches(const json& selector, const json& labels) {
  if (!selector.is_object()) return std::string("a label selector must be an object");
  bool matches = true;
  if (const auto wanted = selector.find("matchLabels"); wanted != selector.end()) {
    if (!wanted->is_object()) return std::string("matchLabels must be a map");
    for (const auto& [key, value] : wanted->items()) {
      if (!value.is_string()) return "matchLabels: " + key + " must be a string";
      const json* actual = label_value(labels, key);
      matches = matches && actual != nullptr && *actual == value;
    }
  }
  if (const auto expressions = selector.find("matchExpressions"); expressions != selector.end()) {
    if (!expressions->is_array()) return std::string("matchExpressions must be a list");
    for (const json& expression : *expressions) {
      auto holds = expression_holds(expression, labels);
      if (auto* error = std::get_if<std::string>(&holds)) return std::move(*error);
      matches = matches && std::get<bool>(holds);
    }
  }
  return matches;
}

}  // namespace autocanary::kube

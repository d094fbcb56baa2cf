#include "policy/namespace_scope.h"


#include "common/json_fields.h"
#include "common/nearest_word.h"
#include "policy/names.h"

namespace autocanary::policy {

std::optional<std::string> why_namespace_is_not_served(std::string_view name, const nlohmann::json& namespace_object,
                                                       std::string_view own_namespace) {
  const std::string quoted = "namespace \"" + std::string(name) + "\"";
  if (names::is_system_namespace(name)) return quoted + " is a system namespace";
  if (name == own_namespace) return quoted + " is autocanary's own";
  if (common::label(namespace_object, names::kEnabledLabel) != "true")
    return quoted + " has not opted in (label " + std::string(names::kEnabledLabel) + "=true)";
  return std::nullopt;
}

std::optional<std::string> opt_in_hint(const nlohmann::json& namespace_object) {
  const std::string name = common::metadata_string(namespace_object, "name");
  const std::string key{names::kEnabledLabel};
  const std::string quoted = "namespace " + name;
  if (names::is_system_namespace(name)) return quoted + " is a system namespace: autocanary never acts there";
  const std::string opt_in = "kubectl label namespace " + name + " " + key + "=true";
  const nlohmann::json* labels = common::labels(&namespace_object);
  if (const nlohmann::json* value = common::child(labels, key); value != nullptr && value->is_string()) {
    if (*value == "true") return std::nullopt;
    if (*value == "false") return quoted + " has opted out (" + key + "=false): autocanary does not act there";
    return quoted + " is labelled " + key + "=" + value->get<std::string>() +
           ": only \"true\" opts it in, so its Deployments roll out without a canary (" + opt_in + " --overwrite)";
  }
  const std::string_view wanted[] = {names::kEnabledLabel};
  if (labels != nullptr)
    for (const auto& [label, value] : labels->items())
      if (common::nearest_word(label, wanted, 2))
        return quoted + " has label " + label + ": did you mean " + key + "? (" + opt_in + ")";
  if (common::annotation(namespace_object, names::kEnabledLabel))
    return quoted + " has " + key + " as an annotation; the opt-in is a label (" + opt_in + ")";
  return quoted + " has not opted in (" + opt_in + ")";
}

}  // namespace autocanary::policy

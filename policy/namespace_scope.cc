#include "policy/namespace_scope.h"

#include <algorithm>

#include "common/json_fields.h"
#include "policy/names.h"

namespace autocanary::policy {

std::optional<std::string> why_namespace_is_not_served(std::string_view name, const nlohmann::json& namespace_object,
                                                       std::string_view own_namespace) {
  const std::string quoted = "namespace \"" + std::string(name) + "\"";
  if (std::ranges::find(names::kSystemNamespaces, name) != std::end(names::kSystemNamespaces))
    return quoted + " is a system namespace";
  if (name == own_namespace) return quoted + " is autocanary's own";
  if (common::label(namespace_object, names::kEnabledLabel) != "true")
    return quoted + " has not opted in (label " + std::string(names::kEnabledLabel) + "=true)";
  return std::nullopt;
}

}  // namespace autocanary::policy

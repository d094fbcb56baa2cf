// Where autocanary acts, decided alike by both binaries: namespaces labelled
// autocanary.io/enabled=true, never the system namespaces nor autocanary's own.
// The webhook's namespaceSelector tells the apiserver the same; the coordinator
// checks again, because anyone who may label a Deployment could otherwise bring
// it into any namespace.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace autocanary::policy {

// Why autocanary must not act in the namespace called `name`, or nullopt.
// `namespace_object` is the namespace as last listed; null when it is unknown.
[[nodiscard]] std::optional<std::string> why_namespace_is_not_served(std::string_view name,
                                                                     const nlohmann::json& namespace_object,
                                                                     std::string_view own_namespace);

// What a user needs to hear about a namespace that is not opted in, or nullopt
// when it is: a system namespace, a label value the selector does not match
// ("yes"), a near miss of the key (autocanary.io/enable), the key set as an
// annotation; each with the command that opts it in.
[[nodiscard]] std::optional<std::string> opt_in_hint(const nlohmann::json& namespace_object);

// The namespaces served, as a binary sees them: `listed` gives the object of an
// opted-in namespace, null for any other.
struct ServedNamespaces {
  std::function<nlohmann::json(const std::string& name)> listed;
  std::string own_namespace;

  [[nodiscard]] std::optional<std::string> why_not(const std::string& name) const {
    return why_namespace_is_not_served(name, listed(name), own_namespace);
  }
};

}  // namespace autocanary::policy

// YAML documents (policy files, kubeconfigs, a Deployment's steps annotation) as
// nlohmann::json, so one parser serves what arrives as YAML and as JSON.
//
// The text may be hostile (any tenant writes annotations), so the work is
// bounded before anything is built: the size of the text, the nesting depth and
// the number of nodes are capped, and aliases are refused — an alias is how a
// few hundred bytes expand into gigabytes ("billion laughs").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

namespace autocanary::common {

struct YamlLimits {
  std::size_t max_bytes = 1024 * 1024;
  int max_depth = 64;
  std::size_t max_nodes = 100000;  // scalars, sequences and maps together
};

// The first document of `text`; scalars that read as integers, floats or
// booleans become JSON numbers and booleans; quoted scalars stay strings.
// Anything past the limits, an alias, or a key that is not a scalar is an
// error that says which.
[[nodiscard]] std::variant<nlohmann::json, std::string> yaml_to_json(std::string_view text,
                                                                     const YamlLimits& limits = {});

}  // namespace autocanary::common

// YAML documents (policy files, kubeconfig-like inputs) as nlohmann::json, so
// one parser serves what arrives as YAML from disk and as JSON from the API.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

namespace autocanary::common {

// The first document of `text`; scalars that read as integers, floats or
// booleans become JSON numbers and booleans; quoted scalars stay strings.
[[nodiscard]] std::variant<nlohmann::json, std::string> yaml_to_json(std::string_view text);

}  // namespace autocanary::common

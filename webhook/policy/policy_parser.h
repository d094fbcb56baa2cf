// A canary policy from its JSON form (the spec of a ClusterCanaryPolicy, or a
// YAML policy file converted to JSON). Every problem is reported, with its path.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "webhook/policy/canary_policy.h"

namespace autocanary::policy {

//   steps:
//     - setWeight: 25
//     - pause: {duration: 30s}        # without duration: until approved
//     - analysis: {names: [pod-health]}
//     - test: {name: smoke}
//   trafficBackend: auto | podRatio | smi | gatewayAPI | istio
//   rolloutRestart: canary | rollout
//   abortScaleDownDelay: 30s
//   shimInjection: always | never | whenNoProbe
// Fields left out keep the built-in defaults.
[[nodiscard]] std::variant<CanaryPolicy, std::vector<std::string>> parse_policy(const nlohmann::json& spec);

}  // namespace autocanary::policy

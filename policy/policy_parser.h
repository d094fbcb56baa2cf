// A canary policy from its JSON form (the spec of a ClusterCanaryPolicy, or a
// YAML policy file converted to JSON). Every problem is reported, with its path.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "policy/canary_policy.h"

namespace autocanary::policy {

//   steps:
//     - setWeight: 25
//     - pause: {duration: 30s}        # without duration: until approved
//     - analysis: {names: [pod-health]}
//     - test: {name: smoke}
//   analyses:
//     - name: error-rate
//       provider: prometheus           # or http
//       prometheus: {address: URL, query: '…', timeout: 10s}
//       http: {url: URL, timeout: 10s, retries: 2}
//       # either section also takes bearerTokenFile, caFile, insecureSkipVerify
//       successCondition: {max: 0.01}  # and/or min
//       interval: 30s, count: 5, failureLimit: 1, minimumSample: 100
//       noData: inconclusive | fail, inconclusiveLimit: 3
//   tests:
//     - {name: smoke, jobTemplate: {…batch/v1 JobTemplateSpec…}, timeout: 10m}
//   podHealth: {readyDeadline: 5m, maxRestarts: 0, maxReadinessFlaps: 2}
//   canaryReplicas: {mode: weight | matchStable}
//   trafficBackend: auto | podRatio | smi | gatewayAPI | istio
//   rolloutRestart: canary | rollout
//   abortScaleDownDelay: 30s
//   shimInjection: always | never | whenNoProbe
// Fields left out keep the built-in defaults.
[[nodiscard]] std::variant<CanaryPolicy, std::vector<std::string>> parse_policy(const nlohmann::json& spec);

// Only the steps (the value of `steps:`), against the analyses and tests of `base`.
[[nodiscard]] std::variant<std::vector<Step>, std::vector<std::string>> parse_steps(const nlohmann::json& steps,
                                                                                  const CanaryPolicy& base);

// The JSON form of a policy, as parse_policy reads it (recorded in Canary status).
[[nodiscard]] nlohmann::json policy_to_json(const CanaryPolicy& policy);

}  // namespace autocanary::policy

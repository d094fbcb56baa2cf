#include "policy/policy_resolution.h"

#include <variant>

#include "common/json_fields.h"
#include "common/yaml_json.h"
#include "policy/names.h"
#include "policy/policy_parser.h"

namespace autocanary::policy {

namespace {

using nlohmann::json;

constexpr const char* kFields[] = {"steps",          "analyses",        "tests",          "trafficBackend",
                                   "canaryReplicas", "abortScaleDownDelay", "rolloutRestart", "shimInjection",
                                   "podHealth"};

std::string join(const std::vector<std::string>& problems) {
  std::string text;
  for (const auto& problem : problems) text += (text.empty() ? "" : "; ") + problem;
  return text;
}

}  // namespace

ResolvedPolicy resolve_policy(const json& deployment, const json& namespace_object, const PolicyLookup& lookup) {
  ResolvedPolicy resolved;
  resolved.policy = builtin_default_policy();
  for (const char* field : kFields) resolved.sources[field] = "built-in";

  // The named policy: the Deployment's choice, then its namespace's, then "default".
  std::string name = common::annotation(deployment, names::kPolicyAnnotation).value_or("");
  std::string chosen_by = "annotation " + std::string(names::kPolicyAnnotation);
  if (name.empty()) {
    name = common::label(namespace_object, names::kPolicyAnnotation);
    if (name.empty()) name = common::annotation(namespace_object, names::kPolicyAnnotation).value_or("");
    chosen_by = "the namespace";
  }
  std::vector<std::string> candidates;
  if (!name.empty()) candidates.push_back(name);
  if (name != names::kDefaultPolicyName) candidates.emplace_back(names::kDefaultPolicyName);
  for (const auto& candidate : candidates) {
    const json spec = lookup(candidate);
    if (spec.is_null()) {
      if (candidate == name)
        resolved.warnings.push_back("ClusterCanaryPolicy \"" + name + "\" chosen by " + chosen_by +
                                    " does not exist; using the default");
      continue;
    }
    auto parsed = parse_policy(spec);
    if (auto* problems = std::get_if<std::vector<std::string>>(&parsed)) {
      resolved.warnings.push_back("ClusterCanaryPolicy \"" + candidate + "\" is not usable (" + join(*problems) +
                                  "); using the default");
      continue;
    }
    resolved.policy = std::get<CanaryPolicy>(std::move(parsed));
    resolved.policy_name = candidate;
    for (const char* field : kFields)
      if (spec.contains(field)) resolved.sources[field] = "ClusterCanaryPolicy/" + candidate;
    break;
  }

  // Field overrides on the Deployment.
  const std::string steps = common::annotation(deployment, names::kStepsAnnotation).value_or("");
  if (!steps.empty()) {
    const std::string label = "annotation " + std::string(names::kStepsAnnotation);
    auto document = common::yaml_to_json(steps);
    if (auto* error = std::get_if<std::string>(&document)) {
      resolved.warnings.push_back(label + " ignored: " + *error);
    } else {
      auto parsed = parse_steps(std::get<json>(document), resolved.policy);
      if (auto* problems = std::get_if<std::vector<std::string>>(&parsed)) {
        resolved.warnings.push_back(label + " ignored: " + join(*problems));
      } else {
        resolved.policy.steps = std::get<std::vector<Step>>(std::move(parsed));
        resolved.sources["steps"] = label;
      }
    }
  }
  const std::string backend = common::annotation(deployment, names::kTrafficBackendAnnotation).value_or("");
  if (!backend.empty()) {
    const std::string label = "annotation " + std::string(names::kTrafficBackendAnnotation);
    auto parsed = parse_policy(json{{"trafficBackend", backend}, {"steps", json::array({{{"setWeight", 100}}})}});
    if (auto* problems = std::get_if<std::vector<std::string>>(&parsed)) {
      resolved.warnings.push_back(label + " ignored: " + join(*problems));
    } else {
      resolved.policy.traffic_backend = std::get<CanaryPolicy>(parsed).traffic_backend;
      resolved.sources["trafficBackend"] = label;
    }
  }
  return resolved;
}

}  // namespace autocanary::policy

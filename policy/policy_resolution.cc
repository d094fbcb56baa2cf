#include "policy/policy_resolution.h"

#include <variant>

#include "common/json_fields.h"
#include "common/yaml_json.h"
#include "kube/label_selector.h"
#include "policy/names.h"
#include "policy/policy_parser.h"

namespace autocanary::policy {

namespace {

using nlohmann::json;

constexpr const char* kFields[] = {"steps",          "analyses",        "tests",          "trafficBackend",
                                   "canaryReplicas", "abortScaleDownDelay", "rolloutRestart", "recreateDeployments", "shimInjection",
                                   "podHealth"};

std::string join(const std::vector<std::string>& problems) {
  std::string text;
  for (const auto& problem : problems) text += (text.empty() ? "" : "; ") + problem;
  return text;
}

}  // namespace

std::optional<std::string> namespace_refusal(const json& spec, const json& namespace_object) {
  const auto selector = spec.find("namespaceSelector");
  if (selector == spec.end()) return std::nullopt;
  // Unknown (not opted in, or not yet listed) matches no selector: never guess open.
  if (!namespace_object.is_object()) return "its namespaceSelector cannot be checked: the namespace is not known";
  auto matched = kube::label_selector_matches(*selector, common::value_at(namespace_object, "/metadata/labels"));
  if (auto* problem = std::get_if<std::string>(&matched)) return "its namespaceSelector is malformed: " + *problem;
  if (!std::get<bool>(matched)) return "the namespace's labels do not match its namespaceSelector";
  return std::nullopt;
}

ResolvedPolicy resolve_policy(const json& deployment, const json& namespace_object, const PolicyLookup& lookup) {
  return resolve_policy(deployment, namespace_object, lookup,
                        [](const std::string&, const json& spec) { return parse_policy(spec); });
}

ResolvedPolicy resolve_policy(const json& deployment, const json& namespace_object, const PolicyLookup& lookup,
                              const PolicyParser& parse) {
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
  const std::string namespace_name = common::metadata_string(deployment, "namespace");
  for (const auto& candidate : candidates) {
    const std::string fallback = candidate == names::kDefaultPolicyName ? "the built-in policy" : "the default";
    const json spec = lookup(candidate);
    if (spec.is_null()) {
      if (candidate == name)
        resolved.warnings.push_back("ClusterCanaryPolicy \"" + name + "\" chosen by " + chosen_by +
                                    " does not exist; using " + fallback);
      continue;
    }
    if (auto refusal = namespace_refusal(spec, namespace_object)) {
      resolved.warnings.push_back("ClusterCanaryPolicy \"" + candidate + "\" is not open to namespace \"" +
                                  namespace_name + "\" (" + *refusal + "); using " + fallback);
      continue;
    }
    auto parsed = parse(candidate, spec);
    if (auto* problems = std::get_if<std::vector<std::string>>(&parsed)) {
      resolved.warnings.push_back("ClusterCanaryPolicy \"" + candidate + "\" is not usable (" + join(*problems) +
                                  "); using " + fallback);
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

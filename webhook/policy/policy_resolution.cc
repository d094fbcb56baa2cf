#include "webhook/policy/policy_resolution.h"

#include <variant>

#include "webhook/api/names.h"
#include "webhook/policy/policy_parser.h"
#include "webhook/support/yaml_json.h"

namespace autocanary::policy {

namespace {

using nlohmann::json;

constexpr const char* kFields[] = {"steps",          "analyses",        "tests",          "trafficBackend",
                                   "canaryReplicas", "abortScaleDownDelay", "rolloutRestart", "shimInjection",
                                   "podHealth"};

std::string metadata_string(const json& object, const char* map, std::string_view key) {
  if (!object.is_object()) return {};
  const json::json_pointer path{std::string("/metadata/") + map};
  if (!object.contains(path) || !object.at(path).is_object()) return {};
  const json& values = object.at(path);
  const auto found = values.find(key);
  return found != values.end() && found->is_string() ? found->get<std::string>() : std::string();
}

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
  std::string name = metadata_string(deployment, "annotations", names::kPolicyAnnotation);
  std::string chosen_by = "annotation " + std::string(names::kPolicyAnnotation);
  if (name.empty()) {
    name = metadata_string(namespace_object, "labels", names::kPolicyAnnotation);
    if (name.empty()) name = metadata_string(namespace_object, "annotations", names::kPolicyAnnotation);
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
  const std::string steps = metadata_string(deployment, "annotations", names::kStepsAnnotation);
  if (!steps.empty()) {
    const std::string label = "annotation " + std::string(names::kStepsAnnotation);
    auto document = support::yaml_to_json(steps);
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
  const std::string backend = metadata_string(deployment, "annotations", names::kTrafficBackendAnnotation);
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

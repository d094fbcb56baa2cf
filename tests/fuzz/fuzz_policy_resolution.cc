// resolve_policy for a Deployment whose override annotations are hostile:
//   input = STEPS '\0' TRAFFIC_BACKEND '\0' POLICY_NAME '\0' CLUSTER_POLICY_YAML
// autocanary.io/steps and autocanary.io/traffic-backend carry the first two
// parts verbatim, autocanary.io/policy the third; the ClusterCanaryPolicy of
// that name (and "default") has the fourth part, read as YAML, as its spec.
#include <cstdint>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "common/yaml_json.h"
#include "policy/canary_policy.h"
#include "policy/names.h"
#include "policy/policy_resolution.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace autocanary;
  auto parts = fuzz::split(fuzz::as_text(data, size), '\0', 4);
  parts.resize(4);

  nlohmann::json annotations = nlohmann::json::object();
  annotations[std::string(names::kStepsAnnotation)] = parts[0];
  if (!parts[1].empty()) annotations[std::string(names::kTrafficBackendAnnotation)] = parts[1];
  if (!parts[2].empty()) annotations[std::string(names::kPolicyAnnotation)] = parts[2];
  const nlohmann::json deployment = {
      {"apiVersion", "apps/v1"},
      {"kind", "Deployment"},
      {"metadata", {{"name", "web"}, {"namespace", "shop"}, {"annotations", annotations}}},
      {"spec", {{"replicas", 4}, {"template", {{"spec", {{"containers", nlohmann::json::array()}}}}}}}};
  const nlohmann::json namespace_object = {
      {"metadata", {{"name", "shop"}, {"labels", {{std::string(names::kPolicyAnnotation), parts[2]}}}}}};

  nlohmann::json spec;
  if (!parts[3].empty()) {
    auto converted = common::yaml_to_json(parts[3]);
    if (auto* json = std::get_if<nlohmann::json>(&converted)) spec = std::move(*json);
  }
  const policy::PolicyLookup lookup = [&](const std::string&) { return spec; };

  const auto resolved = policy::resolve_policy(deployment, namespace_object, lookup);
  for (const auto& warning : resolved.warnings)
    if (warning.empty()) fuzz::fail("empty warning");
  (void)policy::resolve_policy(deployment, nullptr, lookup);
  return 0;
}

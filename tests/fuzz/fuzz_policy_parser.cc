// A policy as it arrives: YAML (or JSON) text → yaml_to_json → parse_policy.
// A ClusterCanaryPolicy object is read through its spec. A policy that parses
// must survive its own JSON form again (policy_to_json is what Canary status
// records and what the coordinator reads back).
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/yaml_json.h"
#include "policy/canary_policy.h"
#include "policy/policy_parser.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace autocanary;
  auto converted = common::yaml_to_json(fuzz::as_text(data, size));
  auto* json = std::get_if<nlohmann::json>(&converted);
  if (json == nullptr) return 0;
  const nlohmann::json* spec = json;
  if (json->is_object() && json->contains("spec")) spec = &(*json)["spec"];

  auto parsed = policy::parse_policy(*spec);
  if (auto* policy = std::get_if<policy::CanaryPolicy>(&parsed)) {
    const auto again = policy::policy_to_json(*policy);
    auto reparsed = policy::parse_policy(again);
    if (auto* errors = std::get_if<std::vector<std::string>>(&reparsed))
      fuzz::fail("policy_to_json gave a policy parse_policy refuses",
                 errors->empty() ? again.dump() : errors->front() + " in " + again.dump());
  }
  // The steps alone, as the steps annotation is read, against the built-in analyses.
  if (spec->is_object() && spec->contains("steps"))
    (void)policy::parse_steps((*spec)["steps"], policy::builtin_default_policy());
  return 0;
}

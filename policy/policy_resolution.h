// Which policy governs one Deployment, field by field:
//   1. the Deployment's override annotations (autocanary.io/steps,
//      autocanary.io/traffic-backend);
//   2. the ClusterCanaryPolicy named by the Deployment's autocanary.io/policy
//      annotation, else by its namespace's autocanary.io/policy label or
//      annotation;
//   3. the ClusterCanaryPolicy named "default";
//   4. the built-in default.
// A name that does not exist, or an override that does not parse, is reported
// and skipped: the rest of the policy still applies.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "policy/canary_policy.h"

namespace autocanary::policy {

struct ResolvedPolicy {
  CanaryPolicy policy;
  std::string policy_name;  // the ClusterCanaryPolicy used; empty for the built-in one
  // Where each top-level field came from: "built-in", "ClusterCanaryPolicy/NAME",
  // or "annotation autocanary.io/steps".
  std::map<std::string, std::string> sources;
  std::vector<std::string> warnings;  // for admission warnings and Events
};

// The spec of the ClusterCanaryPolicy called `name`, or null when there is none.
using PolicyLookup = std::function<nlohmann::json(const std::string& name)>;

// `namespace_object` may be null (unknown).
[[nodiscard]] ResolvedPolicy resolve_policy(const nlohmann::json& deployment,
                                            const nlohmann::json& namespace_object,
                                            const PolicyLookup& lookup);

}  // namespace autocanary::policy

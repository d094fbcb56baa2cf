// Which policy governs one Deployment, field by field:
//   1. the Deployment's override annotations (autocanary.io/steps,
//      autocanary.io/traffic-backend);
//   2. the ClusterCanaryPolicy named by the Deployment's autocanary.io/policy
//      annotation, else by its namespace's autocanary.io/policy label or
//      annotation;
//   3. the ClusterCanaryPolicy named "default";
//   4. the built-in default.
// A name that does not exist, a policy whose spec.namespaceSelector does not
// match the Deployment's namespace (which policies a namespace may use is the
// cluster admin's decision), or an override that does not parse, is reported
// and skipped: the rest of the policy still applies.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <variant>
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

// Why a namespace may not use the ClusterCanaryPolicy with `spec`, or nullopt.
// A policy without namespaceSelector is open to every namespace; one with a
// selector only to namespaces known to match it (`namespace_object` may be null).
[[nodiscard]] std::optional<std::string> namespace_refusal(const nlohmann::json& spec,
                                                           const nlohmann::json& namespace_object);

// `namespace_object` may be null (unknown).
[[nodiscard]] ResolvedPolicy resolve_policy(const nlohmann::json& deployment,
                                            const nlohmann::json& namespace_object,
                                            const PolicyLookup& lookup);

// parse_policy for the spec `lookup` gave for the ClusterCanaryPolicy `name`;
// a caller that keeps parsed policies answers from them.
using PolicyParser = std::function<std::variant<CanaryPolicy, std::vector<std::string>>(
    const std::string& name, const nlohmann::json& spec)>;

// The same, with the named policies' specs parsed by `parse`.
[[nodiscard]] ResolvedPolicy resolve_policy(const nlohmann::json& deployment,
                                            const nlohmann::json& namespace_object,
                                            const PolicyLookup& lookup, const PolicyParser& parse);

}  // namespace autocanary::policy

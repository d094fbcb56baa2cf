// What to tell a user whose request adds or changes autocanary's annotations
// on a Deployment, or its opt-in label on a namespace. A key autocanary does
// not read (a typo such as autocanary.io/stpes) or a value it cannot use would
// otherwise pass in silence and surprise only at the next rollout; the warning
// comes back on the very `kubectl apply`, `annotate` or `label` that made it.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace autocanary::decision {

// Warnings for the autocanary.io/ annotations that `new_object` adds or
// changes relative to `old_object` (null on CREATE): keys autocanary does not
// read on a Deployment, with the nearest one it does, and values of
// autocanary.io/skip that are neither "true" nor "false".
[[nodiscard]] std::vector<std::string> annotation_warnings(const nlohmann::json* old_object,
                                                           const nlohmann::json& new_object);

// Whether the request adds, changes or removes an annotation that chooses or
// overrides the canary policy (policy, steps, traffic-backend), so that what
// the policy resolution made of it is worth saying now.
[[nodiscard]] bool policy_annotations_changed(const nlohmann::json* old_object, const nlohmann::json& new_object);

// Warnings for a namespace whose request sets the opt-in label to a value
// autocanary does not take ("yes", "True"): the apiserver matches only "true",
// so the namespace would silently get no canaries.
[[nodiscard]] std::vector<std::string> namespace_label_warnings(const nlohmann::json* old_object,
                                                                const nlohmann::json& new_object);

}  // namespace autocanary::decision

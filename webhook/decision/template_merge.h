// What an imperative change made during a canary means. `kubectl set image`,
// `set env`, `patch`, `edit`, `label`, `rollout restart` and controllers that
// read-modify-write all act on the stored object, whose template is the live
// one (the webhook keeps it while a revision is pending). Their change is the
// difference between the live template and the one they send; the user means
// it on top of the pending template, which is what they last asked for.
#pragma once

#include <nlohmann/json.hpp>

namespace autocanary::decision {

// A three-way merge: `base` changed into `theirs`, applied onto `ours`. Where
// `theirs` differs from `base` it wins; elsewhere `ours` is kept. Lists whose
// items all have a string "name" (containers, env, volumes, volumeMounts,
// ports with names…) merge item by item, as Kubernetes' strategic merge does;
// other lists are values. Depth is bounded by the JSON parser's own bound.
[[nodiscard]] nlohmann::json merge_change(const nlohmann::json& base, const nlohmann::json& ours,
                                          const nlohmann::json& theirs);

}  // namespace autocanary::decision

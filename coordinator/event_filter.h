// Which changes the coordinator's watches pass on as a reconcile pass, and what
// its caches keep to tell. A pass costs reads of the Deployment, its canary and
// its Canary; most changes of an idle managed Deployment — the deployment
// controller's status updates, the coordinator's own condition write, its own
// Canary status writes — change nothing the planner reads. Pure.
#pragma once

#include <functional>

#include <nlohmann/json.hpp>

namespace autocanary::coordinator {

// The cached form of a managed Deployment: name, namespace, uid,
// resourceVersion, labels, generation, deletionTimestamp and its autocanary.io/
// annotations (the pending template left out: its revision stands for it).
[[nodiscard]] std::function<void(nlohmann::json&)> project_managed_deployment();

// The cached form of a Canary: its metadata, generation and status.phase.
[[nodiscard]] std::function<void(nlohmann::json&)> project_canary_record();

// Whether a change of a managed Deployment (both cached forms) is one a pass
// must see whatever the rollout's state: its spec (generation), labels,
// autocanary.io/ annotations, or its deletion. A change of status alone is not.
[[nodiscard]] bool deployment_change_matters(const nlohmann::json& before, const nlohmann::json& after);

// Whether a change of a Canary (cached forms) asks something of the
// coordinator: its spec (the user's requests), labels or deletion. Status
// writes — the coordinator's own — do not.
[[nodiscard]] bool record_change_matters(const nlohmann::json& before, const nlohmann::json& after);

// Whether a rollout runs, from the caches: a pending revision on the
// Deployment, a Canary not in a final phase, or a canary workload. Only then do
// the Deployment's status changes matter (the stable workload rolling out
// after a promotion, the progress deadline), and only then is the periodic
// resync worth a pass.
[[nodiscard]] bool rollout_active(const nlohmann::json* deployment, const nlohmann::json* record,
                                  bool canary_workload_exists);

}  // namespace autocanary::coordinator

// The decision core: what to do with one admission request for a Deployment.
// A pure function of its inputs (no I/O, no clock), so every rule is unit-tested
// without a cluster and the same request always gets the same answer.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/json_patch.h"
#include "policy/canary_policy.h"
#include "webhook/decision/shim_injection.h"

namespace autocanary::decision {

enum class Operation { kCreate, kUpdate, kDelete, kConnect };

struct AdmissionInput {
  Operation operation = Operation::kCreate;
  std::string namespace_name;
  bool is_deployment = false;  // request.kind is apps/v1 Deployment, not a subresource
  const nlohmann::json* old_object = nullptr;  // present for UPDATE and DELETE
  const nlohmann::json* new_object = nullptr;  // present for CREATE and UPDATE
  std::string username;
  bool dry_run = false;
  std::string field_manager;  // who makes the change (request.options.fieldManager)
};

// Who the webhook is: requests of the coordinator pass through, protected
// namespaces are never touched whatever the apiserver's selector says.
struct WebhookScope {
  std::string own_namespace;
  std::vector<std::string> coordinator_usernames;
  std::vector<std::string> extra_protected_namespaces;
  // The readiness shim added to every requested template the policy asks for.
  ShimSettings shim;
};

enum class Outcome {
  kNotApplicable,       // not a Deployment, DELETE, CONNECT
  kProtectedNamespace,  // kube-system, our own namespace, …
  kCoordinator,         // our coordinator's own update (e.g. promotion)
  kOptedOut,            // autocanary.io/skip: "true"
  kInvalidObject,       // unusable object: left for the apiserver to judge
  kMarked,              // CREATE: marked as managed
  kPassThrough,         // no template change
  kRolloutRestart,      // restart rolled normally, as the policy asks
  kRecreate,            // strategy Recreate ("never two versions at once"): rolled without a canary
  kPendingRecorded,     // new revision held as pending; live template kept
  kPendingUnchanged,    // the pending revision applied again: no churn
  kReverted,            // the live revision applied again: the pending one is cancelled
  kHeldFailed,          // a revision that failed its canary, applied again
  kRetryRequested,      // the user asked to retry the failed revision
  kDenied,              // cannot be held as a canary; the user must choose
};

[[nodiscard]] std::string_view to_string(Outcome outcome) noexcept;

struct Decision {
  Outcome outcome = Outcome::kNotApplicable;
  bool allowed = true;
  common::JsonPatch patch;
  std::vector<std::string> warnings;
  std::string message;  // why; logged, and shown to the user when denied
};

[[nodiscard]] bool is_protected_namespace(std::string_view namespace_name,
                                          const WebhookScope& scope);

[[nodiscard]] Decision decide(const AdmissionInput& input, const policy::CanaryPolicy& policy,
                              const WebhookScope& scope);

}  // namespace autocanary::decision

#include "webhook/decision/deployment_decision.h"

#include <algorithm>
#include <map>
#include <optional>

#include "common/json_fields.h"
#include "common/json_text.h"
#include "policy/names.h"
#include "policy/template_revision.h"
#include "webhook/decision/template_merge.h"

namespace autocanary::decision {

namespace {

using nlohmann::json;
using common::annotation;
using common::child;
using Entries = std::map<std::string, std::optional<std::string>>;

// The apiserver rejects objects whose annotations total more than 256 KiB.
constexpr std::size_t kAnnotationBudgetBytes = 256 * 1024;

const json* pod_template_of(const json& deployment) {
  const json* pod_template = child(child(&deployment, "spec"), "template");
  return pod_template != nullptr && pod_template->is_object() ? pod_template : nullptr;
}

// The canary state the coordinator and the webhook keep on the Deployment.
Entries state_entries(const json& deployment) {
  Entries entries;
  for (std::string_view key : names::kStateAnnotations)
    entries[std::string(key)] = annotation(deployment, key);
  return entries;
}

std::optional<std::string> entry(const Entries& entries, std::string_view key) {
  const auto found = entries.find(std::string(key));
  return found == entries.end() ? std::nullopt : found->second;
}

// True when two templates differ only by the restartedAt annotation that
// `kubectl rollout restart` writes.
bool differs_only_by_restart(const json& old_template, const json& new_template) {
  auto without_restart = [](json pod_template) {
    const json::json_pointer annotations_path{"/metadata/annotations"};
    if (pod_template.contains(annotations_path)) {
      json& annotations = pod_template.at(annotations_path);
      if (annotations.is_object()) annotations.erase(std::string(names::kRestartedAtAnnotation));
      if (annotations.is_null() || annotations.empty())
        pod_template.at("metadata").erase("annotations");
    }
    return pod_template;
  };
  return without_restart(old_template) == without_restart(new_template);
}

bool is_consistent_pending(const std::optional<std::string>& revision,
                           const std::optional<std::string>& pod_template) {
  if (!revision || !pod_template) return false;
  const json parsed = json::parse(*pod_template, nullptr, /*allow_exceptions=*/false);
  return parsed.is_object() && policy::template_revision(parsed) == *revision;
}

std::size_t annotation_bytes_after(const json& object, const Entries& wanted) {
  std::map<std::string, std::size_t> sizes;
  if (const json* annotations = common::annotations(&object))
    for (const auto& [key, value] : annotations->items())
      sizes[key] = value.is_string() ? value.get_ref<const std::string&>().size() : 0;
  for (const auto& [key, value] : wanted) {
    if (value) {
      sizes[key] = value->size();
    } else {
      sizes.erase(key);
    }
  }
  std::size_t total = 0;
  for (const auto& [key, size] : sizes) total += key.size() + size;
  return total;
}

constexpr std::string_view kLastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";

// Whether the request states the whole desired object, as a GitOps tool or
// `kubectl apply` does, rather than changing the stored one: a client-side
// apply of a manifest other than the last one, or a server-side apply (its
// field manager holds an Apply entry in managedFields). A declarative request
// whose template is the live one is a revert; an imperative one that leaves
// the template alone (`kubectl label`, a scale) is not. `kubectl rollout undo`
// also states a whole template (a previous ReplicaSet's); `rollout restart`,
// under the same field manager, only stamps restartedAt.
bool is_declarative(const json& old_deployment, const json& new_deployment, const std::string& field_manager) {
  if (field_manager == "kubectl-rollout") {
    const json* old_template = pod_template_of(old_deployment);
    const json* new_template = pod_template_of(new_deployment);
    return old_template != nullptr && new_template != nullptr &&
           !differs_only_by_restart(*old_template, *new_template);
  }
  const auto applied = annotation(new_deployment, kLastAppliedAnnotation);
  if (applied && applied != annotation(old_deployment, kLastAppliedAnnotation)) return true;
  if (field_manager.empty()) return false;
  const json* managed = child(child(&new_deployment, "metadata"), "managedFields");
  if (managed == nullptr || !managed->is_array()) return false;
  return std::any_of(managed->begin(), managed->end(), [&](const json& entry) {
    return common::string_field(&entry, "manager") == field_manager &&
           common::string_field(&entry, "operation") == "Apply";
  });
}

std::string deployment_ref(const json& deployment) {
  return "deployment/" + common::optional_string(common::at(deployment, "/metadata/name")).value_or("<unnamed>");
}

Decision finish(Outcome outcome, std::string message) {
  Decision decision;
  decision.outcome = outcome;
  decision.message = std::move(message);
  return decision;
}

void mark_managed(const json& deployment, common::JsonPatch& patch) {
  patch.set_map_entries(deployment, "/metadata/labels",
                        {{std::string(names::kManagedLabel), "true"}});
}

Decision decide_create(const json& deployment) {
  Decision decision = finish(Outcome::kMarked, "marked as managed");
  mark_managed(deployment, decision.patch);
  // A new Deployment has no canary history: state copied from elsewhere is dropped.
  Entries dropped;
  for (std::string_view key : names::kStateAnnotations) {
    if (annotation(deployment, key)) {
      dropped[std::string(key)] = std::nullopt;
      decision.warnings.push_back("autocanary: annotation " + std::string(key) +
                                  " is kept by autocanary and was removed from the new Deployment");
    }
  }
  decision.patch.set_map_entries(deployment, "/metadata/annotations", dropped);
  return decision;
}

Decision decide_update(const json& old_deployment, const json& new_deployment,
                       const json& old_template, const json& request_template, bool declarative,
                       const policy::CanaryPolicy& policy, const ShimSettings& shim) {
  Decision decision;
  // The stored object is the authority on canary state; what the user sent for
  // these annotations (often nothing, after a `kubectl replace`) is not.
  Entries wanted = state_entries(old_deployment);
  // Except a pending record that is self-consistent (its revision is the hash of
  // its template): that is what our own earlier patch looks like when the
  // apiserver reinvokes us, and keeping it makes reinvocation change nothing.
  const auto sent_revision = annotation(new_deployment, names::kPendingRevisionAnnotation);
  const auto sent_record = annotation(new_deployment, names::kPendingTemplateAnnotation);
  // A record of the live or the failed revision is never ours: it comes from
  // an export (`kubectl get -o yaml`) applied again after that revision was
  // promoted or failed, and would re-arm it.
  const bool stale_record = sent_revision && (*sent_revision == policy::template_revision(old_template) ||
                                              sent_revision == entry(wanted, names::kFailedRevisionAnnotation));
  if (sent_revision != entry(wanted, names::kPendingRevisionAnnotation) && !stale_record &&
      is_consistent_pending(sent_revision, sent_record)) {
    wanted[std::string(names::kPendingRevisionAnnotation)] = sent_revision;
    wanted[std::string(names::kPendingTemplateAnnotation)] = sent_record;
  }

  const auto failed = entry(wanted, names::kFailedRevisionAnnotation);
  const auto pending = entry(wanted, names::kPendingRevisionAnnotation);
  bool retried = false;
  // Only a retry request this update makes counts; an accepted one stays on
  // the Deployment until the coordinator restarts the canary and removes it.
  const auto retry = annotation(new_deployment, names::kRetryAnnotation);
  if (retry && retry != annotation(old_deployment, names::kRetryAnnotation)) {
    if (failed && (*retry == "true" || *retry == *failed)) {
      wanted[std::string(names::kFailedRevisionAnnotation)] = std::nullopt;
      retried = true;
      decision.warnings.push_back("autocanary: retrying the canary of revision " + *failed);
    } else {
      wanted[std::string(names::kRetryAnnotation)] = std::nullopt;
      decision.warnings.push_back(failed ? "autocanary: nothing retried: revision " + *retry +
                                               " is not the failed revision " + *failed
                                         : std::string("autocanary: nothing retried: no revision has failed"));
    }
  }
  for (std::string_view key : names::kStateAnnotations) {
    if (annotation(new_deployment, key) != entry(wanted, key))
      decision.warnings.push_back("autocanary: annotation " + std::string(key) +
                                  " is kept by autocanary; your change to it was reverted");
  }
  const auto held_revision = retried ? std::nullopt : failed;

  // What the user asks for. An imperative change was made to the live
  // template the stored object shows; it is meant on top of the pending one.
  const auto is_live = [&](const json& pod_template) {
    if (pod_template == old_template) return true;
    // Only a template with the shim can equal the live one without it.
    return (has_shim(pod_template) || has_shim(old_template)) &&
           without_shim(pod_template) == without_shim(old_template);
  };
  // Templates are tens of KiB: the request's is referred to, not copied.
  json merged_template;
  const json* sent_template = &request_template;
  if (!declarative && pending && !is_live(request_template)) {
    const json pending_template =
        json::parse(entry(wanted, names::kPendingTemplateAnnotation).value_or(""), nullptr, false);
    if (pending_template.is_object()) {
      merged_template = merge_change(old_template, pending_template, request_template);
      sent_template = &merged_template;
    }
  }
  const bool live_requested = is_live(*sent_template);

  // The template as it would run: with the readiness shim when the policy asks
  // for it. The live template got it from an earlier promotion, so a manifest
  // without it is still the same revision.
  const std::optional<json> injected = shim_injected(*sent_template, shim, policy.shim_injection);
  const json& new_template = injected ? *injected : *sent_template;
  if (live_requested && declarative && pending) {
    // A revert (`git revert` synced, the previous manifest applied): the
    // pending revision is cancelled — not failed, so it may come back.
    wanted[std::string(names::kPendingRevisionAnnotation)] = std::nullopt;
    wanted[std::string(names::kPendingTemplateAnnotation)] = std::nullopt;
    decision.outcome = Outcome::kReverted;
    decision.message = "the live revision was applied again; pending revision " + *pending + " cancelled";
    decision.warnings.push_back("autocanary: the template is the live one again: the canary of revision " +
                                *pending + " is cancelled and its pods removed; the live pods keep running");
    if (request_template != old_template) decision.patch.transform("/spec/template", request_template, old_template);
  } else if (live_requested) {
    decision.outcome = retried ? Outcome::kRetryRequested : Outcome::kPassThrough;
    decision.message = "pod template unchanged";
    if (request_template != old_template)
      decision.patch.transform("/spec/template", request_template, old_template);
  } else if (policy.restart_handling == policy::RestartHandling::kRollout &&
             differs_only_by_restart(without_shim(old_template), without_shim(request_template))) {
    // The live pods restart; a pending revision stays pending.
    decision.outcome = Outcome::kRolloutRestart;
    decision.message = "rollout restart rolled as usual, as the policy asks";
  } else {
    // One canonical text serves as both the hash input and the stored record,
    // unless the shim (which revisions leave out) is part of it.
    std::string canonical;
    common::append_json(canonical, new_template);  // new_template.dump(), faster
    const std::string revision =
        has_shim(new_template) ? policy::template_revision(new_template) : policy::revision_of_canonical(canonical);
    if (revision == held_revision) {
      decision.outcome = Outcome::kHeldFailed;
      decision.message = "revision " + revision + " failed its canary and is held";
      decision.warnings.push_back(
          "autocanary: revision " + revision +
          " failed its canary and is held; the live template is kept. To retry it: kubectl "
          "annotate " + deployment_ref(new_deployment) + " " + std::string(names::kRetryAnnotation) +
          "=" + revision);
    } else if (revision == pending) {
      decision.outcome = retried ? Outcome::kRetryRequested : Outcome::kPendingUnchanged;
      decision.message = "revision " + revision + " is already pending";
    } else {
      wanted[std::string(names::kPendingRevisionAnnotation)] = revision;
      wanted[std::string(names::kPendingTemplateAnnotation)] = std::move(canonical);
      const std::size_t bytes = annotation_bytes_after(new_deployment, wanted);
      if (bytes > kAnnotationBudgetBytes) {
        Decision denied = finish(Outcome::kDenied, "");
        denied.allowed = false;
        denied.message = "autocanary: the pod template is too large to hold as a canary (" +
                         std::to_string(bytes) + " bytes of annotations, limit " +
                         std::to_string(kAnnotationBudgetBytes) + "); annotate the Deployment " +
                         std::string(names::kSkipAnnotation) +
                         "=true to roll it out without a canary";
        return denied;
      }
      decision.outcome = Outcome::kPendingRecorded;
      decision.message = "revision " + revision + " recorded as pending";
      std::string note = "autocanary: revision " + revision +
                         " will be rolled out as a canary; the live pods keep the current template"
                         " until it is promoted";
      if (pending && pending != held_revision) note += " (supersedes pending revision " + *pending + ")";
      decision.warnings.push_back(std::move(note));
    }
    // Keep the live template: the stable workload does not roll.
    decision.patch.transform("/spec/template", request_template, old_template);
  }

  mark_managed(new_deployment, decision.patch);
  decision.patch.set_map_entries(new_deployment, "/metadata/annotations", wanted);
  return decision;
}

}  // namespace

std::string_view to_string(Outcome outcome) noexcept {
  switch (outcome) {
    case Outcome::kNotApplicable: return "not_applicable";
    case Outcome::kProtectedNamespace: return "protected_namespace";
    case Outcome::kCoordinator: return "coordinator";
    case Outcome::kOptedOut: return "opted_out";
    case Outcome::kInvalidObject: return "invalid_object";
    case Outcome::kMarked: return "marked";
    case Outcome::kPassThrough: return "pass_through";
    case Outcome::kRolloutRestart: return "rollout_restart";
    case Outcome::kRecreate: return "recreate";
    case Outcome::kPendingRecorded: return "pending_recorded";
    case Outcome::kPendingUnchanged: return "pending_unchanged";
    case Outcome::kReverted: return "reverted";
    case Outcome::kHeldFailed: return "held_failed";
    case Outcome::kRetryRequested: return "retry_requested";
    case Outcome::kDenied: return "denied";
  }
  return "unknown";
}

bool is_protected_namespace(std::string_view namespace_name, const WebhookScope& scope) {
  if (namespace_name == scope.own_namespace && !scope.own_namespace.empty()) return true;
  if (names::is_system_namespace(namespace_name)) return true;
  return std::ranges::find(scope.extra_protected_namespaces, namespace_name) !=
         scope.extra_protected_namespaces.end();
}

Decision decide(const AdmissionInput& input, const policy::CanaryPolicy& policy,
                const WebhookScope& scope) {
  if (!input.is_deployment || input.operation == Operation::kDelete ||
      input.operation == Operation::kConnect)
    return finish(Outcome::kNotApplicable, "not a Deployment create or update");
  if (is_protected_namespace(input.namespace_name, scope))
    return finish(Outcome::kProtectedNamespace,
                  "namespace " + input.namespace_name + " is never managed");
  if (std::ranges::find(scope.coordinator_usernames, input.username) !=
      scope.coordinator_usernames.end())
    return finish(Outcome::kCoordinator, "change made by the autocanary coordinator");

  const json* new_object = input.new_object;
  if (new_object == nullptr || !new_object->is_object())
    return finish(Outcome::kInvalidObject, "request carries no object; left unchanged");
  if (const auto kind = common::optional_string(child(new_object, "kind")); kind && *kind != "Deployment")
    return finish(Outcome::kInvalidObject, "object is a " + *kind + ", not a Deployment; left unchanged");
  if (!child(new_object, "metadata") || !child(new_object, "metadata")->is_object())
    return finish(Outcome::kInvalidObject, "Deployment has no metadata; left unchanged");
  if (annotation(*new_object, names::kSkipAnnotation) == "true")
    return finish(Outcome::kOptedOut, "opted out by annotation");

  const json* new_template = pod_template_of(*new_object);
  if (new_template == nullptr)
    return finish(Outcome::kInvalidObject, "Deployment has no spec.template; left unchanged");
  if (input.operation == Operation::kCreate) return decide_create(*new_object);

  const json* old_object = input.old_object;
  const json* old_template = old_object ? pod_template_of(*old_object) : nullptr;
  if (old_template == nullptr)
    return finish(Outcome::kInvalidObject, "UPDATE without a usable oldObject; left unchanged");
  // Recreate says "never two versions at once"; a canary is two versions at once.
  if (common::string_at(*new_object, "/spec/strategy/type") == "Recreate" && *new_template != *old_template &&
      policy.recreate_handling == policy::RecreateHandling::kRollout) {
    Decision decision = finish(Outcome::kRecreate, "strategy Recreate: rolled as usual, without a canary");
    decision.warnings.push_back("autocanary: " + deployment_ref(*new_object) +
                                " uses strategy Recreate (never two versions at once), so it rolls out as usual "
                                "without a canary; use RollingUpdate, or policy recreateDeployments: canary, to get one");
    return decision;
  }
  return decide_update(*old_object, *new_object, *old_template, *new_template,
                       is_declarative(*old_object, *new_object, input.field_manager), policy, scope.shim);
}

}  // namespace autocanary::decision

// Every label and annotation autocanary reads or writes, in one place, so the
// webhook, the coordinator and the docs cannot drift apart.
#pragma once

#include <string>
#include <string_view>

namespace autocanary::names {

inline constexpr std::string_view kGroup = "autocanary.io";

// Namespace opt-in (a label, so the webhook's namespaceSelector can match it).
inline constexpr std::string_view kEnabledLabel = "autocanary.io/enabled";
// Never served, whatever their labels say.
inline constexpr std::string_view kSystemNamespaces[] = {"kube-system", "kube-public", "kube-node-lease"};
[[nodiscard]] constexpr bool is_system_namespace(std::string_view name) {
  for (std::string_view system : kSystemNamespaces)
    if (name == system) return true;
  return false;
}
// On a namespace: the service accounts test Jobs there may run as, comma-separated;
// without it only the namespace's "default" service account.
inline constexpr std::string_view kTestServiceAccountsAnnotation = "autocanary.io/test-service-accounts";

// On a Deployment: marks it as managed so the coordinator can watch by label.
inline constexpr std::string_view kManagedLabel = "autocanary.io/managed";

// User-owned Deployment annotations.
inline constexpr std::string_view kSkipAnnotation = "autocanary.io/skip";
// Which ClusterCanaryPolicy applies: on a Deployment (annotation) or its
// namespace (label or annotation); otherwise the one named "default".
inline constexpr std::string_view kPolicyAnnotation = "autocanary.io/policy";
inline constexpr std::string_view kDefaultPolicyName = "default";
// Per-Deployment overrides of single policy fields.
inline constexpr std::string_view kStepsAnnotation = "autocanary.io/steps";
inline constexpr std::string_view kTrafficBackendAnnotation = "autocanary.io/traffic-backend";
// Set to the failed revision (or "true") to retry it; the coordinator removes it
// once the canary has restarted.
inline constexpr std::string_view kRetryAnnotation = "autocanary.io/retry";

// State annotations owned by autocanary. The webhook writes the pending ones; the
// coordinator writes the failed mark. A user's edit of them is reverted.
inline constexpr std::string_view kPendingRevisionAnnotation = "autocanary.io/pending-revision";
inline constexpr std::string_view kPendingTemplateAnnotation = "autocanary.io/pending-template";
inline constexpr std::string_view kFailedRevisionAnnotation = "autocanary.io/failed-revision";

inline constexpr std::string_view kStateAnnotations[] = {
    kPendingRevisionAnnotation,
    kPendingTemplateAnnotation,
    kFailedRevisionAnnotation,
};

// The canary workload of Deployment `deployment`.
[[nodiscard]] inline std::string canary_name(std::string_view deployment) {
  return std::string(deployment) + "-canary";
}

// Labels of the canary workload and its pods.
inline constexpr std::string_view kTrackLabel = "autocanary.io/track";
inline constexpr std::string_view kCanaryOfLabel = "autocanary.io/canary-of";

// On the canary Deployment: the revision it runs and the weight last applied.
inline constexpr std::string_view kCanaryRevisionAnnotation = "autocanary.io/revision";
// On the canary's pods and on test Jobs: the same revision, as a label so that
// watches and queries can select by it.
inline constexpr std::string_view kCanaryRevisionLabel = "autocanary.io/revision";
inline constexpr std::string_view kCanaryWeightAnnotation = "autocanary.io/weight";

// On every routing object the coordinator creates (Services, TrafficSplits,
// HTTPRoutes, VirtualServices): the Deployment it routes for.
inline constexpr std::string_view kRoutingForLabel = "autocanary.io/routing-for";
inline constexpr std::string_view kManagedByLabel = "app.kubernetes.io/managed-by";
inline constexpr std::string_view kManagedByValue = "autocanary";
// On a user's VirtualService whose routes a canary reweights: those routes as the
// user wrote them ({"<index>": route}), restored when the canary ends.
inline constexpr std::string_view kOriginalRoutesAnnotation = "autocanary.io/original-routes";
// On a user's Service that a mesh canary splits: the Deployment whose stable
// pod-template-hash the coordinator added to its selector (removed at the end),
// so that clients outside the mesh reach only stable pods.
inline constexpr std::string_view kNarrowedForAnnotation = "autocanary.io/narrowed-for";

// On a test Job: the coordinator's MAC of its namespace, name and UID, so that
// a Job of the same name made by anyone else is never taken for the test's.
inline constexpr std::string_view kSealAnnotation = "autocanary.io/seal";

// Set by the deployment controller on the pods and ReplicaSets of a Deployment.
inline constexpr std::string_view kPodTemplateHashLabel = "pod-template-hash";
inline constexpr std::string_view kDeploymentRevisionAnnotation = "deployment.kubernetes.io/revision";

// Set by `kubectl rollout restart` on the pod template.
inline constexpr std::string_view kRestartedAtAnnotation = "kubectl.kubernetes.io/restartedAt";

}  // namespace autocanary::names

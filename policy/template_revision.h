// A stable name for a pod template: the same template always hashes the same, so
// a GitOps re-sync of an unchanged manifest is recognised as the same revision.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace autocanary::policy {

// The readiness shim's container, which the webhook adds to templates.
inline constexpr const char* kShimContainerName = "autocanary-shim";

[[nodiscard]] bool has_shim(const nlohmann::json& pod_template);

// The template as the app's owner wrote it: without the shim (however the
// apiserver defaulted it). Revisions are computed on this.
[[nodiscard]] nlohmann::json without_shim(const nlohmann::json& pod_template);

// First 10 hex digits of SHA-256 over the template's canonical JSON (object keys
// sorted, no whitespace). Kubernetes has already defaulted the template by the
// time admission sees it, so semantically equal manifests hash equally. The
// readiness shim is left out: a revision names the app, and the shim's defaulted
// form in a stored Deployment differs from the one injected.
[[nodiscard]] std::string template_revision(const nlohmann::json& pod_template);

// The same, from the canonical text (`pod_template.dump()`) of a template
// without the shim, when the caller has it.
[[nodiscard]] std::string revision_of_canonical(std::string_view canonical_template);

}  // namespace autocanary::policy

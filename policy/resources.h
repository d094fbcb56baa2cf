// References to autocanary's own resources (charts/autocanary/crds), as
// kube/resources.h has them for the built-in ones.
#pragma once

#include <string>

#include "kube/kube_client.h"

namespace autocanary::policy {

// A Deployment's Canary: its rollout's requests (spec) and progress (status).
[[nodiscard]] inline kube::ResourceRef canaries(std::string ns = {}, std::string name = {}) {
  return {"autocanary.io", "v1alpha1", "canaries", std::move(ns), std::move(name), ""};
}

[[nodiscard]] inline kube::ResourceRef cluster_canary_policies(std::string name = {}) {
  return {"autocanary.io", "v1alpha1", "clustercanarypolicies", "", std::move(name), ""};
}

}  // namespace autocanary::policy

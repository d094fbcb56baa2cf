// References to the built-in resources autocanary reads and writes, by their
// plural names: `kube::deployments(ns, name)` rather than spelling out group,
// version and resource at every call. An empty name is the collection; an
// empty namespace, every namespace (or a cluster-scoped resource).
#pragma once

#include <string>

#include "kube/kube_client.h"

namespace autocanary::kube {

namespace detail {
[[nodiscard]] inline ResourceRef ref(const char* group, const char* version, const char* resource,
                                     std::string ns, std::string name) {
  return {group, version, resource, std::move(ns), std::move(name), ""};
}
}  // namespace detail

[[nodiscard]] inline ResourceRef deployments(std::string ns = {}, std::string name = {}) {
  return detail::ref("apps", "v1", "deployments", std::move(ns), std::move(name));
}
[[nodiscard]] inline ResourceRef replicasets(std::string ns = {}, std::string name = {}) {
  return detail::ref("apps", "v1", "replicasets", std::move(ns), std::move(name));
}
[[nodiscard]] inline ResourceRef pods(std::string ns = {}, std::string name = {}) {
  return detail::ref("", "v1", "pods", std::move(ns), std::move(name));
}
[[nodiscard]] inline ResourceRef services(std::string ns = {}, std::string name = {}) {
  return detail::ref("", "v1", "services", std::move(ns), std::move(name));
}
[[nodiscard]] inline ResourceRef events(std::string ns = {}, std::string name = {}) {
  return detail::ref("", "v1", "events", std::move(ns), std::move(name));
}
[[nodiscard]] inline ResourceRef secrets(std::string ns = {}, std::string name = {}) {
  return detail::ref("", "v1", "secrets", std::move(ns), std::move(name));
}
[[nodiscard]] inline ResourceRef namespaces(std::string name = {}) {
  return detail::ref("", "v1", "namespaces", {}, std::move(name));
}
[[nodiscard]] inline ResourceRef jobs(std::string ns = {}, std::string name = {}) {
  return detail::ref("batch", "v1", "jobs", std::move(ns), std::move(name));
}
[[nodiscard]] inline ResourceRef leases(std::string ns = {}, std::string name = {}) {
  return detail::ref("coordination.k8s.io", "v1", "leases", std::move(ns), std::move(name));
}
[[nodiscard]] inline ResourceRef mutating_webhook_configurations(std::string name = {}) {
  return detail::ref("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations", {},
                     std::move(name));
}

}  // namespace autocanary::kube

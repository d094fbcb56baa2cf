// Adding the readiness shim to a pod template: a native sidecar (an init
// container with restartPolicy Always) whose readinessProbe is the shim's
// /ready, so the pod is Ready only when the app really is. Pure and idempotent:
// a template that already has the shim is returned unchanged.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "policy/canary_policy.h"
#include "policy/template_revision.h"

namespace autocanary::decision {

using policy::has_shim;
using policy::kShimContainerName;
using policy::without_shim;

// The shim image holds two binaries (shim/Dockerfile): its entry point, without
// TLS, and this one, started instead in pods with an HTTPS probe — OpenSSL
// would cost every other pod ~700 KiB of memory.
inline constexpr const char* kShimTlsCommand = "/autocanary-shim-tls";

// Ports that mesh sidecars listen on without declaring them: Istio's
// (15000–15090), Linkerd's proxy and admin, Consul's and Envoy's defaults.
inline constexpr int kMeshSidecarPorts[] = {15000, 15001, 15004, 15006, 15008, 15009, 15020, 15021, 15053, 15090,
                                            4140,  4143,  4190,  4191,  19000, 20000, 9901};

struct ShimSettings {
  std::string image;  // empty: never inject
  // Moved up when the pod (or a mesh's sidecar) already uses it. No common
  // sidecar's port: 15021, the first default, is Istio's health port.
  int port = 17021;
};

// The template with the shim injected when `mode` asks for it, else nullopt
// (the template runs as it is; no copy is made of it).
// kWhenNoProbe injects only when no app container has a readinessProbe; a pod
// with nothing to probe (no probe, no TCP port) gets no shim.
// An HTTPS probe among them makes the shim's command kShimTlsCommand.
[[nodiscard]] std::optional<nlohmann::json> shim_injected(const nlohmann::json& pod_template,
                                                          const ShimSettings& settings, policy::ShimInjection mode);

// The same, as the template to run: with the shim or unchanged.
[[nodiscard]] nlohmann::json with_shim(const nlohmann::json& pod_template, const ShimSettings& settings,
                                       policy::ShimInjection mode);

}  // namespace autocanary::decision

// Istio: a VirtualService weights the user's host between `<svc>-stable` and
// `<svc>-canary` (backend_services.h) — Services, not DestinationRule subsets,
// because the apex is narrowed to the stable pods for clients outside the mesh
// (apex_service.h) and a subset can only pick among the host's own endpoints.
// When the user already has a VirtualService for the host, only its routes to
// that host are reweighted — the originals kept in an annotation and restored
// at the end — and every other route stays as the user wrote it. Otherwise the
// VirtualService `<svc>-autocanary` is ours.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "coordinator/traffic/mesh_router.h"

namespace autocanary::traffic {

[[nodiscard]] nlohmann::json build_virtual_service(const RolloutTarget& target, int weight);

// Whether `host` (as a VirtualService writes it) names Service `service` of `namespace_name`.
[[nodiscard]] bool names_service(const std::string& host, const std::string& service,
                                 const std::string& namespace_name);

// A user's VirtualService with its routes to the Service weighted `weight`
// percent to the canary's backend Service; the routes' originals are recorded
// (once) in the original-routes annotation, keyed by the rest of each route's
// content, never by its position. Routes to anything else are not touched.
// Nullopt when no route of it goes only to the Service (or is reweighted).
[[nodiscard]] std::optional<nlohmann::json> reweight_user_virtual_service(const nlohmann::json& virtual_service,
                                                                          const RolloutTarget& target, int weight);

// The user's VirtualService as it was before the canary: each reweighted route
// gets back the destinations recorded for its content (a route the user changed
// meanwhile: the Service alone), the annotation removed. Routes the user
// inserted or reordered meanwhile stay where they are.
[[nodiscard]] nlohmann::json restore_user_virtual_service(const nlohmann::json& virtual_service,
                                                         const RolloutTarget& target);

// The canary's percentage in a VirtualService's first route over `target`'s
// two backend Services; nullopt when none is.
[[nodiscard]] std::optional<int> virtual_service_weight(const nlohmann::json& virtual_service,
                                                        const RolloutTarget& target);

class IstioRouter final : public MeshRouter {
 public:
  explicit IstioRouter(kube::KubeClient& client) : MeshRouter(client) {}
  [[nodiscard]] std::string_view name() const noexcept override { return "istio"; }

 protected:
  [[nodiscard]] kube::Result<std::optional<int>> routed_weight(const RolloutTarget& target) override;
  [[nodiscard]] kube::Result<void> route(const RolloutTarget& target, int weight) override;
  [[nodiscard]] kube::Result<void> unroute(const RolloutTarget& target) override;
  [[nodiscard]] kube::Result<bool> leftovers(const RolloutTarget& target) override;

 private:
  // The user's VirtualService for the host, when there is one; the namespace
  // is listed once per pass (RolloutTarget::reads) until the router writes.
  [[nodiscard]] kube::Result<std::optional<nlohmann::json>> user_virtual_service(const RolloutTarget& target);
  static void forget_reads(const RolloutTarget& target);
};

}  // namespace autocanary::traffic

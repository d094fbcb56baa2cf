// The objects the mesh routers create: labelled as autocanary's, owned by the
// Deployment (the garbage collector removes them with it), and written only
// when what we own in them differs. A same-named object that is not ours is
// never touched.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "coordinator/traffic/traffic_router.h"
#include "kube/kube_client.h"

namespace autocanary::traffic {

// metadata of a routing object named `name` for `target`'s Deployment.
[[nodiscard]] nlohmann::json routing_metadata(const RolloutTarget& target, const std::string& name);

// Whether `object` was made by autocanary for `deployment`.
[[nodiscard]] bool is_ours(const nlohmann::json& object, const std::string& deployment);

// "group/version" → a reference to `resource` in `namespace_name`.
[[nodiscard]] kube::ResourceRef routing_ref(const std::string& api_version, const std::string& resource,
                                            const std::string& namespace_name, const std::string& name = {});

// Creates `desired`, or makes the fields at `owned` (JSON pointers, e.g.
// "/spec") of the live object equal to it. Fails when a same-named object is
// not ours.
[[nodiscard]] kube::Result<void> ensure_owned(kube::KubeClient& client, const kube::ResourceRef& ref,
                                              const nlohmann::json& desired, const std::string& deployment,
                                              const std::vector<std::string>& owned);

// The object, or nullopt when it does not exist.
[[nodiscard]] kube::Result<std::optional<nlohmann::json>> get_if_exists(kube::KubeClient& client,
                                                                        const kube::ResourceRef& ref);

// Deletes the object when it exists and is ours.
[[nodiscard]] kube::Result<void> remove_owned(kube::KubeClient& client, const kube::ResourceRef& ref,
                                              const std::string& deployment);

// The canary's share in percent of two weights, rounded; 0 when both are 0.
[[nodiscard]] int percent_of(double canary, double stable) noexcept;

}  // namespace autocanary::traffic

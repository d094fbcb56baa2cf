#include "coordinator/traffic/canary_weight.h"

#include <string>

#include "kube/resources.h"
#include "policy/names.h"

namespace autocanary::traffic {

kube::Result<void> patch_canary(kube::KubeClient& client, const RolloutTarget& target, int weight,
                                std::optional<int> replicas) {
  nlohmann::json patch = {
      {"metadata", {{"annotations", {{std::string(names::kCanaryWeightAnnotation), std::to_string(weight)}}}}}};
  if (replicas) patch["spec"] = {{"replicas", *replicas}};
  const kube::ResourceRef ref = kube::deployments(target.namespace_name, names::canary_name(target.deployment));
  auto patched = client.patch(ref, patch, kube::PatchOptions{kube::PatchType::kMerge, "", false});
  if (!patched && !patched.error().is_not_found()) return std::move(patched).error();
  return {};
}

}  // namespace autocanary::traffic

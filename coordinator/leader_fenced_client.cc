#include "coordinator/leader_fenced_client.h"

namespace autocanary::coordinator {

std::optional<kube::KubeError> LeaderFencedClient::fenced(const char* verb, const kube::ResourceRef& ref) const {
  if (leading_()) return std::nullopt;
  std::string what = ref.resource;
  if (!ref.namespace_name.empty()) what += " " + ref.namespace_name + "/" + ref.name;
  else if (!ref.name.empty()) what += " " + ref.name;
  return kube::KubeError{0, kube::kReasonAborted,
                         std::string(verb) + " of " + what + " not sent: this replica no longer leads", false};
}

kube::Result<nlohmann::json> LeaderFencedClient::get(const kube::ResourceRef& ref) { return client_.get(ref); }

kube::Result<kube::ObjectList> LeaderFencedClient::list(const kube::ResourceRef& collection,
                                                        const kube::ListOptions& options) {
  return client_.list(collection, options);
}

kube::Result<kube::ListPage> LeaderFencedClient::list_page(const kube::ResourceRef& collection,
                                                           const kube::ListOptions& options,
                                                           const std::string& continue_token) {
  return client_.list_page(collection, options, continue_token);
}

kube::Result<nlohmann::json> LeaderFencedClient::create(const kube::ResourceRef& ref, const nlohmann::json& object) {
  if (auto refusal = fenced("create", ref)) return *refusal;
  return client_.create(ref, object);
}

kube::Result<nlohmann::json> LeaderFencedClient::update(const kube::ResourceRef& ref, const nlohmann::json& object) {
  if (auto refusal = fenced("update", ref)) return *refusal;
  return client_.update(ref, object);
}

kube::Result<nlohmann::json> LeaderFencedClient::patch(const kube::ResourceRef& ref, const nlohmann::json& patch,
                                                       const kube::PatchOptions& options) {
  if (auto refusal = fenced("patch", ref)) return *refusal;
  return client_.patch(ref, patch, options);
}

kube::Result<nlohmann::json> LeaderFencedClient::remove(const kube::ResourceRef& ref,
                                                        const kube::DeleteOptions& options) {
  if (auto refusal = fenced("delete", ref)) return *refusal;
  return client_.remove(ref, options);
}

kube::Result<void> LeaderFencedClient::watch(const kube::ResourceRef& collection, const kube::WatchOptions& options,
                                             const kube::WatchHandler& on_event, std::stop_token stop) {
  return client_.watch(collection, options, on_event, std::move(stop));
}

kube::Result<nlohmann::json> LeaderFencedClient::discover(const std::string& group_version) {
  return client_.discover(group_version);
}

}  // namespace autocanary::coordinator

// The coordinator's hands on the API: every write (create, update, patch,
// delete) is refused before it is sent once this replica no longer leads, so
// no Job, weight or status starts after the Lease is lost, whichever code path
// asks. Reads pass: a follower keeps its caches warm. Requests already in
// flight are the underlying client's to cut off (HttpKubeClient's
// abort_requests_in_flight, called when leadership ends).
#pragma once

#include <functional>

#include "kube/kube_client.h"

namespace autocanary::coordinator {

class LeaderFencedClient final : public kube::KubeClient {
 public:
  LeaderFencedClient(kube::KubeClient& client, std::function<bool()> leading)
      : client_(client), leading_(std::move(leading)) {}

  [[nodiscard]] kube::Result<nlohmann::json> get(const kube::ResourceRef& ref) override;
  [[nodiscard]] kube::Result<kube::ObjectList> list(const kube::ResourceRef& collection,
                                                    const kube::ListOptions& options) override;
  [[nodiscard]] kube::Result<kube::ListPage> list_page(const kube::ResourceRef& collection,
                                                       const kube::ListOptions& options,
                                                       const std::string& continue_token) override;
  [[nodiscard]] kube::Result<nlohmann::json> create(const kube::ResourceRef& ref,
                                                    const nlohmann::json& object) override;
  [[nodiscard]] kube::Result<nlohmann::json> update(const kube::ResourceRef& ref,
                                                    const nlohmann::json& object) override;
  [[nodiscard]] kube::Result<nlohmann::json> patch(const kube::ResourceRef& ref, const nlohmann::json& patch,
                                                   const kube::PatchOptions& options) override;
  [[nodiscard]] kube::Result<nlohmann::json> remove(const kube::ResourceRef& ref,
                                                    const kube::DeleteOptions& options) override;
  [[nodiscard]] kube::Result<void> watch(const kube::ResourceRef& collection, const kube::WatchOptions& options,
                                         const kube::WatchHandler& on_event, std::stop_token stop) override;
  [[nodiscard]] kube::Result<nlohmann::json> discover(const std::string& group_version) override;

 private:
  // The refusal for a write asked for while not leading, or nothing.
  [[nodiscard]] std::optional<kube::KubeError> fenced(const char* verb, const kube::ResourceRef& ref) const;

  kube::KubeClient& client_;
  std::function<bool()> leading_;
};

}  // namespace autocanary::coordinator

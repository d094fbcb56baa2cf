#include "kube/kube_client.h"

#include <thread>

namespace autocanary::kube {

Result<ListPage> KubeClient::list_page(const ResourceRef& collection, const ListOptions& options,
                                       const std::string& continue_token) {
  if (!continue_token.empty())
    return KubeError{400, kReasonInvalidRequest, "this client lists in one page; no page follows", false};
  auto listed = list(collection, options);
  if (!listed) return listed.error();
  return ListPage{std::move(listed->items), std::move(listed->resource_version), ""};
}

Result<nlohmann::json> KubeClient::discover(const std::string& group_version) {
  return KubeError{404, "NotFound", "API discovery is not available for " + group_version, false};
}

namespace {

Result<nlohmann::json> update_retrying(KubeClient& client, const ResourceRef& ref,
                                       std::optional<nlohmann::json> just_read, const Mutation& mutate,
                                       int attempts) {
  // The read is of the object itself even when `ref` names its status: the
  // status subresource answers GET with the whole object too.
  for (int attempt = 1;; ++attempt) {
    nlohmann::json object;
    if (just_read) {
      object = *std::move(just_read);
      just_read.reset();
    } else {
      auto live = client.get(ref);
      if (!live) return live;
      object = std::move(live).value();
    }
    if (!mutate(object)) return object;
    auto written = client.update(ref, object);
    if (written || !written.error().is_conflict() || attempt >= attempts) return written;
    // Someone wrote in between; a short, growing pause lets a burst of writers spread out.
    std::this_thread::sleep_for(std::chrono::milliseconds(10 * attempt));
  }
}

}  // namespace

Result<nlohmann::json> update_with_conflict_retry(KubeClient& client, const ResourceRef& ref,
                                                  const Mutation& mutate, int attempts) {
  return update_retrying(client, ref, std::nullopt, mutate, attempts);
}

Result<nlohmann::json> update_with_conflict_retry(KubeClient& client, const ResourceRef& ref,
                                                  nlohmann::json just_read, const Mutation& mutate, int attempts) {
  return update_retrying(client, ref, std::move(just_read), mutate, attempts);
}

const char* to_string(WatchEventType type) noexcept {
  switch (type) {
    case WatchEventType::kAdded: return "ADDED";
    case WatchEventType::kModified: return "MODIFIED";
    case WatchEventType::kDeleted: return "DELETED";
    case WatchEventType::kBookmark: return "BOOKMARK";
    case WatchEventType::kError: return "ERROR";
  }
  return "UNKNOWN";
}

}  // namespace autocanary::kube

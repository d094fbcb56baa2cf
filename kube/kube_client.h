// The Kubernetes API as the coordinator needs it: typed addressing of any resource,
// JSON objects in and out, errors as values. HttpKubeClient speaks to a real
// apiserver; tests of the coordinator substitute their own implementation.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kube/result.h"

namespace autocanary::kube {

// One resource or a collection of them. A collection leaves `name` empty; an empty
// namespace means cluster-scoped, or every namespace when listing/watching a
// namespaced resource.
struct ResourceRef {
  std::string group;     // "" for the core API group (served under /api)
  std::string version;   // "v1"
  std::string resource;  // lower-case plural: "deployments"
  std::string namespace_name;
  std::string name;
  std::string subresource;  // "", "status", "scale", …

  [[nodiscard]] ResourceRef named(std::string object_name) const {
    ResourceRef ref = *this;
    ref.name = std::move(object_name);
    return ref;
  }
  [[nodiscard]] ResourceRef sub(std::string subresource_name) const {
    ResourceRef ref = *this;
    ref.subresource = std::move(subresource_name);
    return ref;
  }
  bool operator==(const ResourceRef&) const = default;
};

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  // Items per request; the client follows `continue` tokens until the list is complete.
  std::int64_t page_size = 500;
};

struct ObjectList {
  std::vector<nlohmann::json> items;
  std::string resource_version;  // of the whole list: where a watch continues from
};

// One page of a list: its items, the list's resourceVersion, and the token of
// the next page (empty after the last).
struct ListPage {
  std::vector<nlohmann::json> items;
  std::string resource_version;
  std::string continue_token;
};

enum class PatchType {
  kMerge,           // application/merge-patch+json (RFC 7386)
  kJson,            // application/json-patch+json (RFC 6902)
  kStrategicMerge,  // built-in kinds only
  kApply,           // server-side apply; needs a field manager
};

struct PatchOptions {
  PatchType type = PatchType::kMerge;
  std::string field_manager;  // empty: the client's own
  bool force = false;         // apply only: take over fields owned by other managers
};

enum class PropagationPolicy { kServerDefault, kForeground, kBackground, kOrphan };

struct DeleteOptions {
  PropagationPolicy propagation = PropagationPolicy::kBackground;
  // The delete fails with a Conflict unless the live object still has these.
  std::string precondition_uid;
  std::string precondition_resource_version;
  std::optional<std::int64_t> grace_period_seconds;
};

struct WatchOptions {
  std::string label_selector;
  std::string field_selector;
  // Events after this version; empty starts with synthetic ADDED events for every object.
  std::string resource_version;
  bool allow_bookmarks = true;
  // The apiserver ends the watch after this long; the caller then watches again.
  std::chrono::seconds timeout{300};
};

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark, kError };

struct WatchEvent {
  WatchEventType type = WatchEventType::kAdded;
  nlohmann::json object;  // a Status for kError; only metadata.resourceVersion for kBookmark
};

// Returns false to end the watch.
using WatchHandler = std::function<bool(WatchEvent&& event)>;

class KubeClient {
 public:
  virtual ~KubeClient() = default;

  [[nodiscard]] virtual Result<nlohmann::json> get(const ResourceRef& ref) = 0;

  // Every page of `collection`, and the resourceVersion of the list.
  [[nodiscard]] virtual Result<ObjectList> list(const ResourceRef& collection,
                                                const ListOptions& options) = 0;

  // One page of `collection` (at most options.page_size items), from
  // `continue_token` ("" for the first), so that a caller can keep less than
  // the whole list at once. A client without paging answers everything as one
  // page. A token too old to continue from fails as expired (410).
  [[nodiscard]] virtual Result<ListPage> list_page(const ResourceRef& collection, const ListOptions& options,
                                                   const std::string& continue_token);

  // POST to the collection, or to `name/subresource` when both are set (e.g. eviction).
  [[nodiscard]] virtual Result<nlohmann::json> create(const ResourceRef& ref,
                                                      const nlohmann::json& object) = 0;

  // PUT. A metadata.resourceVersion in `object` makes it conditional: a newer live
  // object fails with a Conflict instead of being overwritten.
  [[nodiscard]] virtual Result<nlohmann::json> update(const ResourceRef& ref,
                                                      const nlohmann::json& object) = 0;

  [[nodiscard]] virtual Result<nlohmann::json> patch(const ResourceRef& ref,
                                                     const nlohmann::json& patch,
                                                     const PatchOptions& options) = 0;

  // DELETE; the answer is the object (being finalized) or a Status.
  [[nodiscard]] virtual Result<nlohmann::json> remove(const ResourceRef& ref,
                                                      const DeleteOptions& options) = 0;

  // Streams events to `on_event` until the apiserver ends the watch (its timeout),
  // `on_event` returns false or `stop` is requested: all of these are success. An
  // ERROR event is handed to `on_event` and then returned as the error it carries
  // (410 Expired: list again); so is an HTTP error or a broken connection.
  [[nodiscard]] virtual Result<void> watch(const ResourceRef& collection,
                                           const WatchOptions& options,
                                           const WatchHandler& on_event,
                                           std::stop_token stop) = 0;

  // API discovery: the APIGroupList of /apis for an empty `group_version`, else
  // the APIResourceList of /apis/<group>/<version> (NotFound when not served).
  // A client without discovery answers NotFound: no optional API is installed.
  [[nodiscard]] virtual Result<nlohmann::json> discover(const std::string& group_version);
};

// Returns whether `object` was changed and must be written.
using Mutation = std::function<bool(nlohmann::json& object)>;

// Read, mutate, write conditionally on the read's resourceVersion; on a Conflict
// read again and repeat, at most `attempts` times. When the mutation changes
// nothing the live object is returned without a write. `mutate` may run several
// times, so it must derive its change from the object it is given.
[[nodiscard]] Result<nlohmann::json> update_with_conflict_retry(KubeClient& client,
                                                                const ResourceRef& ref,
                                                                const Mutation& mutate,
                                                                int attempts = 5);
// The same, when the caller has just read the object: its first attempt starts
// from `just_read` instead of reading again.
[[nodiscard]] Result<nlohmann::json> update_with_conflict_retry(KubeClient& client,
                                                                const ResourceRef& ref,
                                                                nlohmann::json just_read,
                                                                const Mutation& mutate,
                                                                int attempts = 5);

[[nodiscard]] const char* to_string(WatchEventType type) noexcept;

}  // namespace autocanary::kube

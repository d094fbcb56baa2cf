// Keeps a local copy of a set of objects in step with the apiserver: list, then
// watch from the list's resourceVersion, following bookmarks; list again when the
// apiserver says that version has expired (410), reconnect with backoff after
// anything else. Handlers see every change to the copy, on the informer's thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/log.h"
#include "kube/kube_client.h"

namespace autocanary::kube {

struct InformerHandlers {
  std::function<void(const nlohmann::json& object)> on_add;
  std::function<void(const nlohmann::json& old_object, const nlohmann::json& new_object)> on_update;
  // The last state known; after a re-list it may be older than the deletion.
  std::function<void(const nlohmann::json& object)> on_delete;
};

struct InformerOptions {
  ListOptions list;  // its selectors apply to the watch too
  // Applied to every object before it is cached or handed to a handler: keep
  // only what the handlers read, so a thousand objects do not cost a thousand
  // full copies (see project_metadata).
  std::function<void(nlohmann::json& object)> transform;
  std::chrono::seconds watch_timeout{300};
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{30'000};
};

// "namespace/name", or "name" for cluster-scoped objects.
[[nodiscard]] std::string object_key(const nlohmann::json& object);

// A transform keeping kind, name, namespace, uid, resourceVersion, labels and
// the fields named by `keep` (JSON pointers, e.g. "/status/conditions").
[[nodiscard]] std::function<void(nlohmann::json&)> project_metadata(std::vector<std::string> keep = {});

class Informer {
 public:
  Informer(KubeClient& client, ResourceRef collection, InformerOptions options,
           InformerHandlers handlers, common::Logger& logger);

  // Runs until `stop` is requested; returns promptly then, even mid-watch.
  void run(std::stop_token stop);

  // Whether the first list has been loaded; waits up to `timeout` for it.
  [[nodiscard]] bool wait_for_sync(std::chrono::milliseconds timeout) const;
  [[nodiscard]] bool has_synced() const;

  [[nodiscard]] std::optional<nlohmann::json> get(const std::string& key) const;
  [[nodiscard]] std::vector<nlohmann::json> objects() const;
  [[nodiscard]] std::vector<std::string> keys() const;
  // The version the copy is current at; where the next watch starts.
  [[nodiscard]] std::string resource_version() const;
  // Completed lists, the first included: more than one means the informer re-listed.
  [[nodiscard]] std::uint64_t list_count() const;

 private:
  enum class WatchEnd { kTimedOut, kExpired, kFailed, kStopped };

  [[nodiscard]] bool list_and_replace();
  [[nodiscard]] WatchEnd watch_once(std::stop_token stop, const std::string& from_version);
  void apply(WatchEvent&& event);
  void set_resource_version(const nlohmann::json& object);
  // Sleeps up to `delay`; false when stop was requested meanwhile.
  [[nodiscard]] bool pause(std::stop_token stop, std::chrono::milliseconds delay);
  [[nodiscard]] double next_jitter();

  KubeClient& client_;
  const ResourceRef collection_;
  const InformerOptions options_;
  const InformerHandlers handlers_;
  common::Logger& logger_;

  mutable std::mutex mutex_;
  mutable std::condition_variable synced_changed_;
  std::map<std::string, nlohmann::json, std::less<>> cache_;
  std::string resource_version_;
  bool synced_ = false;
  std::uint64_t lists_ = 0;
  KubeError last_watch_error_;

  std::mutex pause_mutex_;
  std::condition_variable_any pause_;
  std::uint64_t jitter_state_;  // SplitMix64; spreads reconnects of many informers
};

}  // namespace autocanary::kube

#include "kube/informer.h"

#include <malloc.h>

#include <random>

#include "common/json_fields.h"
#include "kube/retry_policy.h"

namespace autocanary::kube {

namespace {

// A watch that ends successfully sooner than this without an event is treated as
// a failure, so a server or proxy that closes watches at once is not hammered.
constexpr std::chrono::seconds kShortestHealthyWatch{1};

}  // namespace

std::string object_key(const nlohmann::json& object) {
  const std::string ns = common::metadata_string(object, "namespace");
  const std::string name = common::metadata_string(object, "name");
  return ns.empty() ? name : ns + "/" + name;
}

Informer::Informer(KubeClient& client, ResourceRef collection, InformerOptions options,
                   InformerHandlers handlers, common::Logger& logger)
    : client_(client),
      collection_(std::move(collection)),
      options_(std::move(options)),
      handlers_(std::move(handlers)),
      logger_(logger),
      jitter_state_(std::random_device{}()) {}

void Informer::run(std::stop_token stop) {
  bool need_list = true;
  std::string listed_version;
  int failures = 0;  // in a row, without a watch making progress in between
  const auto back_off = [&] {
    ++failures;
    return pause(stop, backoff_delay(options_.initial_backoff, options_.max_backoff, failures,
                                     next_jitter()));
  };
  while (!stop.stop_requested()) {
    if (need_list) {
      if (!list_and_replace()) {
        if (!back_off()) return;
        continue;
      }
      need_list = false;
      listed_version = resource_version();
    }

    const auto started = std::chrono::steady_clock::now();
    const std::string from_version = resource_version();
    const WatchEnd end = watch_once(stop, from_version);
    const bool progressed = resource_version() != from_version;
    if (progressed) failures = 0;
    switch (end) {
      case WatchEnd::kStopped: return;
      case WatchEnd::kExpired:
        // Events between our version and the oldest the apiserver keeps are lost;
        // only a fresh list (diffed against the copy) tells what changed.
        logger_.info("watch expired; listing again",
                     {{"resource", collection_.resource}, {"resource_version", from_version}});
        need_list = true;
        // Expired with nothing learnt since the list: listing again at once could spin.
        if (!progressed && from_version == listed_version && !back_off()) return;
        continue;
      case WatchEnd::kTimedOut:
        if (progressed || std::chrono::steady_clock::now() - started >= kShortestHealthyWatch) {
          failures = 0;
          continue;
        }
        last_watch_error_ = KubeError{0, "", "the watch ended at once without an event", true};
        [[fallthrough]];
      case WatchEnd::kFailed:
        logger_.warn("watch failed; reconnecting",
                     {{"resource", collection_.resource},
                      {"error", last_watch_error_.describe()},
                      {"failures", failures + 1}});
        if (!back_off()) return;
        continue;
    }
  }
}

bool Informer::list_and_replace() {
  // Page by page, each projected before the next is read: the whole list is
  // never held parsed at once (ten thousand Deployments are ~55 MB of JSON,
  // several times that as a tree), only one page of it and the projections.
  std::map<std::string, nlohmann::json, std::less<>> fresh;
  std::string resource_version;
  ListOptions options = options_.list;
  std::string continue_token;
  bool restarted = false;
  while (true) {
    auto page = client_.list_page(collection_, options, continue_token);
    if (!page) {
      if (!continue_token.empty() && page.error().is_expired() && !restarted) {
        // The snapshot behind the token was compacted away: a new snapshot, from the start.
        logger_.info("list continuation expired; listing again", {{"resource", collection_.resource}});
        fresh.clear();
        continue_token.clear();
        restarted = true;
        continue;
      }
      logger_.warn("list failed", {{"resource", collection_.resource}, {"error", page.error().describe()}});
      return false;
    }
    for (auto& item : page->items) {
      if (options_.transform) options_.transform(item);
      std::string key = object_key(item);
      fresh.insert_or_assign(std::move(key), std::move(item));
    }
    resource_version = std::move(page->resource_version);
    continue_token = std::move(page->continue_token);
    if (continue_token.empty()) break;
  }

  // The differences are worked out under the lock, the handlers run outside it so
  // that they may read the informer.
  std::vector<const nlohmann::json*> added;
  std::vector<std::pair<nlohmann::json, const nlohmann::json*>> updated;
  std::vector<nlohmann::json> deleted;
  {
    const std::lock_guard lock(mutex_);
    for (const auto& [key, object] : fresh) {
      const auto old = cache_.find(key);
      if (old == cache_.end()) {
        added.push_back(&object);
      } else if (common::metadata_string(old->second, "resourceVersion") !=
                 common::metadata_string(object, "resourceVersion")) {
        updated.emplace_back(old->second, &object);
      }
    }
    for (auto& [key, object] : cache_)
      if (!fresh.contains(key)) deleted.push_back(std::move(object));
    // Moved, not copied: the map's nodes (which `added` and `updated` point
    // into) become the cache's, and no second copy of a large list is made.
    cache_ = std::move(fresh);
    resource_version_ = std::move(resource_version);
    synced_ = true;
    ++lists_;
  }
  synced_changed_.notify_all();
  // Each page was parsed whole and then projected; give the freed transient
  // back instead of letting the heap keep it.
  ::malloc_trim(0);
  for (const auto& object : deleted)
    if (handlers_.on_delete) handlers_.on_delete(object);
  for (const auto* object : added)
    if (handlers_.on_add) handlers_.on_add(*object);
  for (const auto& [old_object, object] : updated)
    if (handlers_.on_update) handlers_.on_update(old_object, *object);
  return true;
}

Informer::WatchEnd Informer::watch_once(std::stop_token stop, const std::string& from_version) {
  WatchOptions watch;
  watch.label_selector = options_.list.label_selector;
  watch.field_selector = options_.list.field_selector;
  watch.resource_version = from_version;
  watch.allow_bookmarks = true;
  watch.timeout = options_.watch_timeout;
  auto result = client_.watch(
      collection_, watch,
      [this](WatchEvent&& event) {
        apply(std::move(event));
        return true;
      },
      stop);
  if (stop.stop_requested()) return WatchEnd::kStopped;
  if (result) return WatchEnd::kTimedOut;
  last_watch_error_ = result.error();
  return result.error().is_expired() ? WatchEnd::kExpired : WatchEnd::kFailed;
}

void Informer::set_resource_version(const nlohmann::json& object) {
  if (std::string version = common::metadata_string(object, "resourceVersion"); !version.empty())
    resource_version_ = std::move(version);
}

void Informer::apply(WatchEvent&& event) {
  if (options_.transform && event.type != WatchEventType::kError && event.type != WatchEventType::kBookmark)
    options_.transform(event.object);
  switch (event.type) {
    case WatchEventType::kError: return;  // the watch returns it as its error
    case WatchEventType::kBookmark: {
      const std::lock_guard lock(mutex_);
      set_resource_version(event.object);
      return;
    }
    case WatchEventType::kAdded:
    case WatchEventType::kModified: {
      std::optional<nlohmann::json> old_object;
      {
        const std::lock_guard lock(mutex_);
        set_resource_version(event.object);
        auto [slot, inserted] = cache_.try_emplace(object_key(event.object), event.object);
        if (!inserted) old_object = std::exchange(slot->second, event.object);
      }
      if (old_object) {
        if (handlers_.on_update) handlers_.on_update(*old_object, event.object);
      } else if (handlers_.on_add) {
        handlers_.on_add(event.object);
      }
      return;
    }
    case WatchEventType::kDeleted: {
      bool known = false;
      {
        const std::lock_guard lock(mutex_);
        set_resource_version(event.object);
        known = cache_.erase(object_key(event.object)) > 0;
      }
      if (known && handlers_.on_delete) handlers_.on_delete(event.object);
      return;
    }
  }
}

bool Informer::pause(std::stop_token stop, std::chrono::milliseconds delay) {
  std::unique_lock lock(pause_mutex_);
  // Nothing else wakes this wait: it ends at the deadline or on a stop request.
  return !pause_.wait_for(lock, stop, delay, [] { return false; }) && !stop.stop_requested();
}

double Informer::next_jitter() {
  // SplitMix64: plenty for spreading reconnects, and needs no shared generator.
  jitter_state_ += 0x9E3779B97F4A7C15ULL;
  std::uint64_t z = jitter_state_;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) / static_cast<double>(1ULL << 53);
}

bool Informer::wait_for_sync(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return synced_changed_.wait_for(lock, timeout, [this] { return synced_; });
}

bool Informer::has_synced() const {
  const std::lock_guard lock(mutex_);
  return synced_;
}

std::optional<nlohmann::json> Informer::get(const std::string& key) const {
  const std::lock_guard lock(mutex_);
  const auto found = cache_.find(key);
  if (found == cache_.end()) return std::nullopt;
  return found->second;
}

std::vector<std::string> Informer::keys() const {
  const std::lock_guard lock(mutex_);
  std::vector<std::string> all;
  all.reserve(cache_.size());
  for (const auto& [key, object] : cache_) all.push_back(key);
  return all;
}

std::function<void(nlohmann::json&)> project_metadata(std::vector<std::string> keep) {
  return [keep = std::move(keep)](nlohmann::json& object) {
    if (!object.is_object()) return;
    nlohmann::json projected = {{"kind", object.value("kind", nlohmann::json())}};
    nlohmann::json metadata = nlohmann::json::object();
    for (const char* field : {"name", "namespace", "uid", "resourceVersion", "labels"}) {
      const nlohmann::json::json_pointer pointer{std::string("/metadata/") + field};
      if (object.contains(pointer)) metadata[field] = std::move(object[pointer]);
    }
    projected["metadata"] = std::move(metadata);
    for (const auto& path : keep) {
      const nlohmann::json::json_pointer pointer{path};
      if (object.contains(pointer)) projected[pointer] = std::move(object[pointer]);
    }
    object = std::move(projected);
  };
}

std::vector<nlohmann::json> Informer::objects() const {
  const std::lock_guard lock(mutex_);
  std::vector<nlohmann::json> all;
  all.reserve(cache_.size());
  for (const auto& [key, object] : cache_) all.push_back(object);
  return all;
}

std::string Informer::resource_version() const {
  const std::lock_guard lock(mutex_);
  return resource_version_;
}

std::uint64_t Informer::list_count() const {
  const std::lock_guard lock(mutex_);
  return lists_;
}

}  // namespace autocanary::kube

#include "tests/kube/scripted_kube_client.h"

namespace autocanary::testing {

namespace {

kube::KubeError unscripted(const char* what) {
  return kube::KubeError{0, kube::kReasonInvalidRequest, std::string("no script for ") + what,
                         false};
}

}  // namespace

void ScriptedKubeClient::add_list(kube::Result<kube::ObjectList> list) {
  const std::lock_guard lock(mutex_);
  lists_.push_back(std::move(list));
}

void ScriptedKubeClient::add_watch(WatchScript script) {
  const std::lock_guard lock(mutex_);
  watches_.push_back(std::move(script));
}

bool ScriptedKubeClient::wait_for_watches(std::size_t count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return watch_calls_.size() >= count; });
}

std::vector<kube::WatchOptions> ScriptedKubeClient::watch_calls() const {
  const std::lock_guard lock(mutex_);
  return watch_calls_;
}

int ScriptedKubeClient::list_calls() const {
  const std::lock_guard lock(mutex_);
  return list_calls_;
}

kube::Result<nlohmann::json> ScriptedKubeClient::get(const kube::ResourceRef& ref) {
  return on_get ? on_get(ref) : kube::Result<nlohmann::json>(unscripted("get"));
}

kube::Result<kube::ObjectList> ScriptedKubeClient::list(const kube::ResourceRef&,
                                                        const kube::ListOptions&) {
  const std::lock_guard lock(mutex_);
  ++list_calls_;
  if (lists_.empty()) return unscripted("list");
  auto next = std::move(lists_.front());
  lists_.pop_front();
  return next;
}

void ScriptedKubeClient::add_page(kube::ListPage page) {
  const std::lock_guard lock(mutex_);
  pages_.push_back(std::move(page));
}

kube::Result<kube::ListPage> ScriptedKubeClient::list_page(const kube::ResourceRef& collection,
                                                           const kube::ListOptions& options,
                                                           const std::string& continue_token) {
  {
    const std::lock_guard lock(mutex_);
    page_tokens_.push_back(continue_token);
    if (!pages_.empty()) {
      ++list_calls_;
      kube::ListPage page = std::move(pages_.front());
      pages_.pop_front();
      return page;
    }
  }
  return KubeClient::list_page(collection, options, continue_token);
}

std::vector<std::string> ScriptedKubeClient::page_tokens() const {
  const std::lock_guard lock(mutex_);
  return page_tokens_;
}

kube::Result<nlohmann::json> ScriptedKubeClient::create(const kube::ResourceRef&,
                                                        const nlohmann::json&) {
  return unscripted("create");
}

kube::Result<nlohmann::json> ScriptedKubeClient::update(const kube::ResourceRef& ref,
                                                        const nlohmann::json& object) {
  return on_update ? on_update(ref, object) : kube::Result<nlohmann::json>(unscripted("update"));
}

kube::Result<nlohmann::json> ScriptedKubeClient::patch(const kube::ResourceRef&,
                                                       const nlohmann::json&,
                                                       const kube::PatchOptions&) {
  return unscripted("patch");
}

kube::Result<nlohmann::json> ScriptedKubeClient::remove(const kube::ResourceRef&,
                                                        const kube::DeleteOptions&) {
  return unscripted("delete");
}

kube::Result<void> ScriptedKubeClient::watch(const kube::ResourceRef&,
                                             const kube::WatchOptions& options,
                                             const kube::WatchHandler& on_event,
                                             std::stop_token stop) {
  std::optional<WatchScript> script;
  {
    std::unique_lock lock(mutex_);
    watch_calls_.push_back(options);
    if (!watches_.empty()) {
      script = std::move(watches_.front());
      watches_.pop_front();
    }
    changed_.notify_all();
    if (!script) {
      changed_.wait(lock, stop, [] { return false; });
      return {};
    }
  }
  for (auto& event : script->events)
    if (!on_event(std::move(event))) return {};
  return script->end;
}

}  // namespace autocanary::testing

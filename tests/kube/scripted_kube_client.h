// A KubeClient that answers from a script, for tests of code written against the
// interface. Lists and watches are taken in order; a watch with no script left
// blocks until it is stopped, as a quiet watch would.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "kube/kube_client.h"

namespace autocanary::testing {

class ScriptedKubeClient final : public kube::KubeClient {
 public:
  struct WatchScript {
    std::vector<kube::WatchEvent> events;
    kube::Result<void> end;  // what the watch returns after its events
  };

  void add_list(kube::Result<kube::ObjectList> list);
  void add_watch(WatchScript script);

  // Blocks until `count` watches have started (or `timeout` passes).
  [[nodiscard]] bool wait_for_watches(std::size_t count, std::chrono::milliseconds timeout);
  [[nodiscard]] std::vector<kube::WatchOptions> watch_calls() const;
  [[nodiscard]] int list_calls() const;

  std::function<kube::Result<nlohmann::json>(const kube::ResourceRef&)> on_get;
  std::function<kube::Result<nlohmann::json>(const kube::ResourceRef&, const nlohmann::json&)>
      on_update;

  kube::Result<nlohmann::json> get(const kube::ResourceRef& ref) override;
  kube::Result<kube::ObjectList> list(const kube::ResourceRef& collection,
                                      const kube::ListOptions& options) override;
  // Pages: each scripted page answers one list_page() call (a scripted list,
  // one with no token). A page's continue_token asks for the next.
  void add_page(kube::ListPage page);
  kube::Result<kube::ListPage> list_page(const kube::ResourceRef& collection, const kube::ListOptions& options,
                                         const std::string& continue_token) override;
  // The continue tokens list_page() was asked for, "" for a first page.
  [[nodiscard]] std::vector<std::string> page_tokens() const;
  kube::Result<nlohmann::json> create(const kube::ResourceRef& ref,
                                      const nlohmann::json& object) override;
  kube::Result<nlohmann::json> update(const kube::ResourceRef& ref,
                                      const nlohmann::json& object) override;
  kube::Result<nlohmann::json> patch(const kube::ResourceRef& ref, const nlohmann::json& patch,
                                     const kube::PatchOptions& options) override;
  kube::Result<nlohmann::json> remove(const kube::ResourceRef& ref,
                                      const kube::DeleteOptions& options) override;
  kube::Result<void> watch(const kube::ResourceRef& collection, const kube::WatchOptions& options,
                           const kube::WatchHandler& on_event, std::stop_token stop) override;

 private:
  mutable std::mutex mutex_;
  std::condition_variable_any changed_;
  std::deque<kube::Result<kube::ObjectList>> lists_;
  std::deque<WatchScript> watches_;
  std::vector<kube::WatchOptions> watch_calls_;
  int list_calls_ = 0;
  std::vector<std::string> page_tokens_;
  std::deque<kube::ListPage> pages_;
};

}  // namespace autocanary::testing

// An in-memory apiserver for the routers' tests: objects by resource, namespace
// and name, resourceVersions that make updates conditional, label-selector
// lists, and discovery documents set by the test. Every write is recorded.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kube/kube_client.h"

namespace autocanary::testing {

class MemoryKubeClient final : public kube::KubeClient {
 public:
  // "resource/namespace/name" → object.
  std::map<std::string, nlohmann::json> objects;
  // "" or "group/version" → discovery document.
  std::map<std::string, nlohmann::json> discovery;
  std::vector<std::string> writes;  // "create services/web-stable", …
  std::vector<std::string> reads;   // "get trafficsplits/web-autocanary", "list httproutes", …
  std::vector<std::string> calls;   // reads and writes, in the order they came

  void put(const std::string& resource, nlohmann::json object);
  [[nodiscard]] const nlohmann::json* find(const std::string& resource, const std::string& namespace_name,
                                           const std::string& name) const;

  kube::Result<nlohmann::json> get(const kube::ResourceRef& ref) override;
  kube::Result<kube::ObjectList> list(const kube::ResourceRef& collection, const kube::ListOptions& options) override;
  kube::Result<nlohmann::json> create(const kube::ResourceRef& ref, const nlohmann::json& object) override;
  kube::Result<nlohmann::json> update(const kube::ResourceRef& ref, const nlohmann::json& object) override;
  kube::Result<nlohmann::json> patch(const kube::ResourceRef& ref, const nlohmann::json& patch,
                                     const kube::PatchOptions& options) override;
  kube::Result<nlohmann::json> remove(const kube::ResourceRef& ref, const kube::DeleteOptions& options) override;
  kube::Result<void> watch(const kube::ResourceRef&, const kube::WatchOptions&, const kube::WatchHandler&,
                           std::stop_token) override {
    return {};
  }
  kube::Result<nlohmann::json> discover(const std::string& group_version) override;

 private:
  int version_ = 100;
};

}  // namespace autocanary::testing

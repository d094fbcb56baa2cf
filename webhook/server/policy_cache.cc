#include "webhook/server/policy_cache.h"

#include "common/json_fields.h"
#include "policy/policy_parser.h"

namespace autocanary::server {

using nlohmann::json;

std::shared_ptr<const ParsedPolicyCache::Parsed> ParsedPolicyCache::parsed(const std::string& name,
                                                                           const std::string& resource_version,
                                                                           const json& spec) {
  if (!resource_version.empty()) {
    const std::lock_guard lock(mutex_);
    const auto found = entries_.find(name);
    if (found != entries_.end() && found->second.resource_version == resource_version) return found->second.parsed;
  }
  // Parsed outside the lock: two reviews may parse the same new version at
  // once, and both results are the same.
  auto fresh = std::make_shared<const Parsed>(policy::parse_policy(spec));
  const std::lock_guard lock(mutex_);
  ++parses_;
  if (!resource_version.empty()) entries_.insert_or_assign(name, Entry{resource_version, fresh});
  return fresh;
}

void ParsedPolicyCache::forget(const std::string& name) {
  const std::lock_guard lock(mutex_);
  entries_.erase(name);
}

std::uint64_t ParsedPolicyCache::parse_count() const {
  const std::lock_guard lock(mutex_);
  return parses_;
}

policy::ResolvedPolicy ParsedPolicyCache::resolve(const json& deployment, const json& namespace_object,
                                                  const ObjectLookup& objects) {
  // The version of each policy this resolution looked up, for its parse.
  std::map<std::string, std::string, std::less<>> versions;
  return policy::resolve_policy(
      deployment, namespace_object,
      [&](const std::string& name) {
        const json object = objects(name);
        if (!object.is_object()) {
          forget(name);
          return json();
        }
        versions[name] = common::metadata_string(object, "resourceVersion");
        return object.value("spec", json::object());
      },
      [&](const std::string& name, const json& spec) { return *parsed(name, versions[name], spec); });
}

AdmissionHandler::PolicyFor cached_policies(const policy::PolicyStore& store, ParsedPolicyCache& cache) {
  return [&store, &cache](const json& deployment) {
    const std::string namespace_name = deployment.value("/metadata/namespace"_json_pointer, std::string());
    return cache.resolve(deployment, store.opted_in_namespace(namespace_name),
                         [&store](const std::string& name) { return store.policy_object(name); });
  };
}

}  // namespace autocanary::server

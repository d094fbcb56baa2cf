// The ClusterCanaryPolicies the webhook has parsed, each kept until its
// resourceVersion changes: a review resolves its Deployment's policy without
// parsing the policy's steps, analyses and tests again. Shared by the server's
// threads.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "policy/canary_policy.h"
#include "policy/policy_resolution.h"
#include "policy/policy_store.h"
#include "webhook/server/admission_handler.h"

namespace autocanary::server {

class ParsedPolicyCache {
 public:
  using Parsed = std::variant<policy::CanaryPolicy, std::vector<std::string>>;
  // The ClusterCanaryPolicy object called `name`, or null when there is none.
  using ObjectLookup = std::function<nlohmann::json(const std::string& name)>;

  // policy::resolve_policy over the policies `objects` holds, each parsed once
  // per resourceVersion.
  [[nodiscard]] policy::ResolvedPolicy resolve(const nlohmann::json& deployment, const nlohmann::json& namespace_object,
                                               const ObjectLookup& objects);

  // The spec of the policy `name` parsed: the parse kept for `resource_version`
  // when there is one, else a new one, kept in its place. An empty version
  // (an object never stored) is parsed every time.
  [[nodiscard]] std::shared_ptr<const Parsed> parsed(const std::string& name, const std::string& resource_version,
                                                     const nlohmann::json& spec);

  // Drops what is kept for `name` (the policy is gone).
  void forget(const std::string& name);

  // How many times a spec was parsed.
  [[nodiscard]] std::uint64_t parse_count() const;

 private:
  struct Entry {
    std::string resource_version;
    std::shared_ptr<const Parsed> parsed;
  };

  mutable std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> entries_;
  std::uint64_t parses_ = 0;
};

// The webhook's policy: resolved over `store`, parsed through `cache`.
[[nodiscard]] AdmissionHandler::PolicyFor cached_policies(const policy::PolicyStore& store, ParsedPolicyCache& cache);

}  // namespace autocanary::server

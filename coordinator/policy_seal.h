// The seal on the policy a rollout records in its Canary's status. The record
// is what the rollout follows to its end (gate URLs, token and CA files, Job
// templates), and anyone who may write `canaries/status` can rewrite it; so the
// coordinator follows a record only if it carries the seal it made itself: an
// HMAC-SHA256, keyed by a secret only the coordinator holds, over the
// Deployment, the revision and the policy.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace autocanary::coordinator {

class PolicySeal {
 public:
  // `key`: the secret (any bytes, at least 16). The replicas of one
  // installation share it, so a new leader trusts what the last one recorded.
  explicit PolicySeal(std::string key);
  // A key of 32 random bytes: records made before a restart are not trusted
  // after it (their rollouts then follow the policy in force).
  [[nodiscard]] static PolicySeal random();

  // Hex HMAC of (namespace, deployment, revision, the policy's canonical JSON).
  [[nodiscard]] std::string seal(std::string_view ns, std::string_view deployment, std::string_view revision,
                                 const nlohmann::json& policy_spec) const;
  // Hex HMAC of any message: the same key seals what else the coordinator
  // must recognise as its own (test Jobs).
  [[nodiscard]] std::string mac(std::string_view message) const;

  // In constant time.
  [[nodiscard]] bool verify(std::string_view ns, std::string_view deployment, std::string_view revision,
                            const nlohmann::json& policy_spec, std::string_view seal) const;

  static constexpr std::size_t kMinKeyBytes = 16;

 private:
  std::string key_;
};

}  // namespace autocanary::coordinator

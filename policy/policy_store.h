// The cluster's ClusterCanaryPolicies and opted-in Namespaces, kept current by
// watches, so resolving a Deployment's policy costs no API call. Shared by the
// webhook (restart handling, override warnings) and the coordinator (steps).
#pragma once

#include <chrono>
#include <stop_token>

#include <nlohmann/json.hpp>

#include "common/log.h"
#include "kube/informer.h"
#include "kube/kube_client.h"
#include "policy/policy_resolution.h"

namespace autocanary::policy {

class PolicyStore {
 public:
  PolicyStore(kube::KubeClient& client, common::Logger& logger);

  // Runs both watches until `stop` is requested.
  void run(std::stop_token stop);

  [[nodiscard]] bool has_synced() const;

  // Until the first lists arrive this is the built-in policy: a slow apiserver
  // must not make the webhook refuse or guess.
  [[nodiscard]] ResolvedPolicy resolve(const nlohmann::json& deployment) const;

  // The namespace called `name` as listed if it has opted in, else null.
  [[nodiscard]] nlohmann::json opted_in_namespace(const std::string& name) const;

  // The ClusterCanaryPolicy called `name` as listed, else null.
  [[nodiscard]] nlohmann::json policy_object(const std::string& name) const;

 private:
  kube::Informer policies_;
  kube::Informer namespaces_;
};

}  // namespace autocanary::policy

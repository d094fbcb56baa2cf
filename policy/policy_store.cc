#include "policy/policy_store.h"

#include <thread>

#include "kube/resources.h"
#include "policy/names.h"
#include "policy/resources.h"

namespace autocanary::policy {

namespace {

kube::InformerOptions opted_in_namespaces() {
  kube::InformerOptions options;
  options.list.label_selector = std::string(names::kEnabledLabel) + "=true";
  // Labels (kept by the projection) for policies' namespaceSelectors; annotations
  // for the policy choice and the service accounts tests may use.
  options.transform = kube::project_metadata({"/metadata/annotations"});
  return options;
}

}  // namespace

PolicyStore::PolicyStore(kube::KubeClient& client, common::Logger& logger)
    : policies_(client, cluster_canary_policies(),
                kube::InformerOptions{}, kube::InformerHandlers{}, logger),
      namespaces_(client, kube::namespaces(), opted_in_namespaces(),
                  kube::InformerHandlers{}, logger) {}

void PolicyStore::run(std::stop_token stop) {
  std::jthread namespaces([this, stop] { namespaces_.run(stop); });
  policies_.run(stop);
}

bool PolicyStore::has_synced() const { return policies_.has_synced() && namespaces_.has_synced(); }

nlohmann::json PolicyStore::opted_in_namespace(const std::string& name) const {
  return namespaces_.get(name).value_or(nlohmann::json());
}

nlohmann::json PolicyStore::policy_object(const std::string& name) const {
  return policies_.get(name).value_or(nlohmann::json());
}

ResolvedPolicy PolicyStore::resolve(const nlohmann::json& deployment) const {
  const std::string namespace_name = deployment.value("/metadata/namespace"_json_pointer, std::string());
  return resolve_policy(deployment, opted_in_namespace(namespace_name), [this](const std::string& name) {
    const auto policy = policies_.get(name);
    return policy ? policy->value("spec", nlohmann::json::object()) : nlohmann::json();
  });
}

}  // namespace autocanary::policy

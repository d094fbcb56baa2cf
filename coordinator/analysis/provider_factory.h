// The plain factory: a policy's analysis definition → its provider.
#pragma once

#include <string>

#include "coordinator/analysis/analysis_provider.h"
#include "coordinator/analysis/test_job.h"
#include "kube/kube_client.h"

namespace autocanary::analysis {

class DefaultProviderFactory final : public ProviderFactory {
 public:
  // `client` creates test Jobs, which `sign` seals, only in `served` namespaces;
  // `default_prometheus_address` serves Prometheus analyses that name no address.
  DefaultProviderFactory(kube::KubeClient& client, std::string default_prometheus_address, Signer sign,
                         policy::ServedNamespaces served);

  [[nodiscard]] std::unique_ptr<AnalysisProvider> analysis(const policy::AnalysisDefinition& definition) override;
  [[nodiscard]] std::unique_ptr<AnalysisProvider> test(const policy::TestDefinition& definition) override;

 private:
  kube::KubeClient& client_;
  std::string default_prometheus_address_;
  Signer sign_;
  policy::ServedNamespaces served_;
};

}  // namespace autocanary::analysis

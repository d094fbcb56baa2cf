#include "coordinator/analysis/provider_factory.h"

#include "coordinator/analysis/http_gate.h"
#include "coordinator/analysis/prometheus_provider.h"
#include "coordinator/analysis/test_job.h"

namespace autocanary::analysis {

DefaultProviderFactory::DefaultProviderFactory(kube::KubeClient& client, std::string default_prometheus_address,
                                               Signer sign, policy::ServedNamespaces served)
    : client_(client),
      default_prometheus_address_(std::move(default_prometheus_address)),
      sign_(std::move(sign)),
      served_(std::move(served)) {}

std::unique_ptr<AnalysisProvider> DefaultProviderFactory::analysis(const policy::AnalysisDefinition& definition) {
  switch (definition.provider) {
    case policy::AnalysisDefinition::Provider::kHttp:
      return std::make_unique<HttpGateProvider>(definition);
    case policy::AnalysisDefinition::Provider::kPrometheus:
      break;
  }
  return std::make_unique<PrometheusProvider>(definition, default_prometheus_address_);
}

std::unique_ptr<AnalysisProvider> DefaultProviderFactory::test(const policy::TestDefinition& definition) {
  return std::make_unique<TestJobProvider>(client_, definition, sign_, served_);
}

}  // namespace autocanary::analysis

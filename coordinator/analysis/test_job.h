// Test provider: a Kubernetes Job from the policy's template, run against the
// canary. The first measurement creates it (its name is fixed by the rollout,
// step and test, so a restarted coordinator finds it instead of starting
// another); later ones read its conditions: Complete passes, Failed fails,
// anything else is still running. The Job is owned by the Deployment and stays
// after the step for its logs.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "coordinator/analysis/analysis_provider.h"
#include "kube/kube_client.h"

namespace autocanary::analysis {

// <deployment>-<test>-<revision>-<step>, shortened with a hash to fit 63 characters.
[[nodiscard]] std::string test_job_name(const AnalysisContext& context);

// The Job: the template's metadata and spec, our labels, the Deployment as its
// owner, and the rollout's names as AUTOCANARY_* environment variables of each
// container that does not set them itself.
[[nodiscard]] nlohmann::json build_test_job(const policy::TestDefinition& test, const AnalysisContext& context);

// Complete → kPassed, Failed → kFailed, else kRunning; the message points at the logs.
[[nodiscard]] Measurement read_test_job(const nlohmann::json& job);

class TestJobProvider final : public AnalysisProvider {
 public:
  TestJobProvider(kube::KubeClient& client, policy::TestDefinition definition);

  [[nodiscard]] Measurement measure(const AnalysisContext& context) override;

 private:
  kube::KubeClient& client_;
  policy::TestDefinition definition_;
};

}  // namespace autocanary::analysis

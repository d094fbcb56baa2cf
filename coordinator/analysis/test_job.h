// Test provider: a Kubernetes Job from the policy's template, run against the
// canary. The first measurement creates it (its name is fixed by the rollout,
// step and test, so a restarted coordinator finds it instead of starting
// another); later ones read its conditions: Complete passes, Failed fails,
// anything else is still running. The Job is owned by the Deployment and stays
// after the step for its logs.
//
// The name is predictable, so anyone who may create Jobs in the namespace could
// make one first (a container that exits 0) and pass the step. A Job is taken
// as the test's only if it carries the coordinator's seal: right after creating
// it the coordinator annotates it with a MAC of its namespace, name and UID, a
// value nobody without the coordinator's key can make for another Job.
#pragma once

#include <functional>
#include <string>
#include <string_view>

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

// A keyed MAC of a message, as hex (the coordinator's seal key).
using Signer = std::function<std::string(std::string_view message)>;

// What the seal of the Job `namespace/name` with `uid` signs.
[[nodiscard]] std::string job_seal_message(std::string_view ns, std::string_view name, std::string_view uid);

class TestJobProvider final : public AnalysisProvider {
 public:
  TestJobProvider(kube::KubeClient& client, policy::TestDefinition definition, Signer sign);

  [[nodiscard]] Measurement measure(const AnalysisContext& context) override;

 private:
  [[nodiscard]] bool sealed(const nlohmann::json& job) const;

  kube::KubeClient& client_;
  policy::TestDefinition definition_;
  Signer sign_;
};

}  // namespace autocanary::analysis

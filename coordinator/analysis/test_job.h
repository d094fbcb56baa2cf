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
//
// A Job runs pods, so it is created only where autocanary serves (an opted-in
// namespace) and only under a service account the namespace allows for tests
// (its autocanary.io/test-service-accounts annotation, else "default"): a
// policy cannot lend a namespace's tests another identity. A refused Job is a
// failed test that says why; it never runs.
#pragma once

#include <functional>
#include <string>
#include <optional>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "coordinator/analysis/analysis_provider.h"
#include "kube/kube_client.h"
#include "policy/namespace_scope.h"

namespace autocanary::analysis {

// <deployment>-<test>-<revision>-<step>, shortened with a hash to fit 63 characters.
[[nodiscard]] std::string test_job_name(const AnalysisContext& context);

// The Job: the template's metadata and spec, our labels, the Deployment as its
// owner, and the rollout's names as AUTOCANARY_* environment variables of each
// container that does not set them itself.
[[nodiscard]] nlohmann::json build_test_job(const policy::TestDefinition& test, const AnalysisContext& context);

// Complete → kPassed, Failed → kFailed, else kRunning; the message points at the logs.
[[nodiscard]] Measurement read_test_job(const nlohmann::json& job);

// The service account a Job's pods run under: its template's
// serviceAccountName (or the older serviceAccount), else "default".
[[nodiscard]] std::string job_service_account(const nlohmann::json& job);

// The service accounts `namespace_object` lets test Jobs run as.
[[nodiscard]] std::vector<std::string> allowed_test_service_accounts(const nlohmann::json& namespace_object);

// Why `job` may not be created in namespace `ns`, or nullopt.
[[nodiscard]] std::optional<std::string> test_job_refusal(const nlohmann::json& job, const std::string& ns,
                                                          const policy::ServedNamespaces& served);

// A keyed MAC of a message, as hex (the coordinator's seal key).
using Signer = std::function<std::string(std::string_view message)>;

// What the seal of the Job `namespace/name` with `uid` signs.
[[nodiscard]] std::string job_seal_message(std::string_view ns, std::string_view name, std::string_view uid);

class TestJobProvider final : public AnalysisProvider {
 public:
  TestJobProvider(kube::KubeClient& client, policy::TestDefinition definition, Signer sign,
                  policy::ServedNamespaces served);

  // `stop` is not needed: the few API calls are bounded by the client's
  // timeouts and cut off as leading ends, which a stopping coordinator does.
  [[nodiscard]] Measurement measure(const AnalysisContext& context, std::stop_token stop) override;

 private:
  [[nodiscard]] bool sealed(const nlohmann::json& job) const;

  kube::KubeClient& client_;
  policy::TestDefinition definition_;
  Signer sign_;
  policy::ServedNamespaces served_;
};

}  // namespace autocanary::analysis

// What a measurement of the canary may refer to: the names a Prometheus query
// templates in, the rollout an HTTP gate is told about, the labels of a test Job.
#pragma once

#include <string>

namespace autocanary::analysis {

struct AnalysisContext {
  std::string namespace_name;
  std::string deployment;
  std::string deployment_uid;  // owner of what a measurement creates (a test Job)
  std::string canary_deployment;
  std::string revision;           // the canary's
  std::string stable_revision;    // the live template's
  std::string pod_template_hash;  // of the canary's pods; empty until one exists
  int step_index = 0;
  std::string step_started_at;  // RFC 3339
  std::string analysis;         // the analysis or test being measured
  // The user's Service a mesh router splits into <service>-stable and
  // <service>-canary; empty when the rollout routes by pod ratio.
  std::string service;
};

}  // namespace autocanary::analysis

// The rollout the analysis tests measure: Deployment web in shop, step 2 of a
// canary of revision bbbbbbbbbb over stable aaaaaaaaaa.
#pragma once

#include "coordinator/analysis/analysis_context.h"

namespace autocanary::analysis {

inline AnalysisContext web_context(const std::string& analysis = {}) {
  AnalysisContext context;
  context.namespace_name = "shop";
  context.deployment = "web";
  context.deployment_uid = "uid-web";
  context.canary_deployment = "web-canary";
  context.revision = "bbbbbbbbbb";
  context.stable_revision = "aaaaaaaaaa";
  context.pod_template_hash = "7f9c6d8b5";
  context.step_index = 2;
  context.step_started_at = "2026-11-22T10:00:00Z";
  context.analysis = analysis;
  return context;
}

}  // namespace autocanary::analysis

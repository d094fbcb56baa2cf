// Variables in a Prometheus query: `{{namespace}}` and friends are replaced by
// the rollout's names before the query runs, so one policy serves every
// Deployment. An unknown variable is an error, never left in the query.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <variant>

#include "webhook/analysis/analysis_context.h"

namespace autocanary::analysis {

struct QueryError {
  std::string message;
};

// The names a query may use: namespace, deployment, canary, revision,
// stableRevision, podTemplateHash, canaryService, stableService.
[[nodiscard]] const std::vector<std::string_view>& query_variables();

// The query with every `{{name}}` (spaces inside the braces allowed) replaced,
// or why it cannot be.
[[nodiscard]] std::variant<std::string, QueryError> render_query(std::string_view query,
                                                                  const AnalysisContext& context);

// Problems of a query's variables without a rollout at hand (policy validation).
[[nodiscard]] std::vector<std::string> query_template_problems(std::string_view query);

}  // namespace autocanary::analysis

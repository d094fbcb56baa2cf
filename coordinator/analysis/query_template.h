// A policy's query template filled in with the rollout's names before the
// query runs (the language itself: policy/query_template.h).
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "coordinator/analysis/analysis_context.h"
#include "policy/query_template.h"

namespace autocanary::analysis {

using policy::QueryError;

// `query` for this rollout; a variable without a value yet (no canary pods, so
// no pod-template-hash) is an error, as an empty value would widen a match.
[[nodiscard]] std::variant<std::string, QueryError> render_query(std::string_view query,
                                                                  const AnalysisContext& context);

}  // namespace autocanary::analysis

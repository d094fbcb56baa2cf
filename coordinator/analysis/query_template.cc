#include "coordinator/analysis/query_template.h"

namespace autocanary::analysis {

namespace {

std::string value_of(std::string_view name, const AnalysisContext& context) {
  if (name == "namespace") return context.namespace_name;
  if (name == "deployment") return context.deployment;
  if (name == "canary") return context.canary_deployment;
  if (name == "revision") return context.revision;
  if (name == "stableRevision") return context.stable_revision;
  if (name == "podTemplateHash") return context.pod_template_hash;
  // The backend Services of a mesh router; by pod ratio there are none, and
  // the names follow the Deployment's.
  const std::string& service = context.service.empty() ? context.deployment : context.service;
  if (name == "canaryService") return service + "-canary";
  return service + "-stable";  // stableService
}

}  // namespace

std::variant<std::string, QueryError> render_query(std::string_view query, const AnalysisContext& context) {
  std::string missing;
  auto rendered = policy::expand_query(query, [&](std::string_view name) {
    std::string value = value_of(name, context);
    if (value.empty() && missing.empty()) missing = std::string(name);
    return value;
  });
  if (std::holds_alternative<QueryError>(rendered)) return rendered;
  if (!missing.empty()) return QueryError{"{{" + missing + "}} has no value yet"};
  return rendered;
}

}  // namespace autocanary::analysis

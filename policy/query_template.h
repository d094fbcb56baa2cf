// The template language of a policy's Prometheus queries: `{{namespace}}` and
// friends name the rollout, so one policy serves every Deployment. The policy
// checks templates when it is parsed; the analysis fills them in.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace autocanary::policy {

struct QueryError {
  std::string message;
};

// Every variable a query may use.
[[nodiscard]] const std::vector<std::string_view>& query_variables();

// `query` with each `{{variable}}` replaced by `value_of(variable)`; an unknown
// or unclosed variable is an error, never left in the query.
[[nodiscard]] std::variant<std::string, QueryError> expand_query(
    std::string_view query, const std::function<std::string(std::string_view)>& value_of);

// What is wrong with `query` as a template; empty when nothing is.
[[nodiscard]] std::vector<std::string> query_template_problems(std::string_view query);

}  // namespace autocanary::policy

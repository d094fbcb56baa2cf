#include "policy/query_template.h"

#include <algorithm>
#include <optional>

namespace autocanary::policy {

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

// Walks the `{{…}}` of a query, calling `on_text` for literal text and
// `on_variable` for each variable; returns the first problem.
template <typename OnText, typename OnVariable>
std::optional<std::string> walk(std::string_view query, OnText on_text, OnVariable on_variable) {
  const auto& known = query_variables();
  std::size_t at = 0;
  while (at < query.size()) {
    const std::size_t open = query.find("{{", at);
    if (open == std::string_view::npos) break;
    on_text(query.substr(at, open - at));
    const std::size_t close = query.find("}}", open + 2);
    if (close == std::string_view::npos) return "unclosed {{ at offset " + std::to_string(open);
    const std::string_view name = trim(query.substr(open + 2, close - open - 2));
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string names;
      for (const auto& k : known) names += (names.empty() ? "" : ", ") + std::string(k);
      return "unknown variable {{" + std::string(name) + "}} (known: " + names + ")";
    }
    on_variable(name);
    at = close + 2;
  }
  on_text(query.substr(std::min(at, query.size())));
  return std::nullopt;
}

}  // namespace

const std::vector<std::string_view>& query_variables() {
  static const std::vector<std::string_view> kNames = {"namespace",       "deployment",    "canary",
                                                       "revision",        "stableRevision", "podTemplateHash",
                                                       "canaryService",   "stableService"};
  return kNames;
}

std::variant<std::string, QueryError> expand_query(std::string_view query,
                                                   const std::function<std::string(std::string_view)>& value_of) {
  std::string out;
  const auto problem = walk(
      query, [&](std::string_view text) { out += text; }, [&](std::string_view name) { out += value_of(name); });
  if (problem) return QueryError{*problem};
  return out;
}

std::vector<std::string> query_template_problems(std::string_view query) {
  const auto problem = walk(query, [](std::string_view) {}, [](std::string_view) {});
  if (!problem) return {};
  return {*problem};
}

}  // namespace autocanary::policy

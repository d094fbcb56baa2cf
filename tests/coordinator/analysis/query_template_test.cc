#include "coordinator/analysis/query_template.h"

#include <gtest/gtest.h>

#include "tests/coordinator/analysis/web_context.h"

namespace autocanary::analysis {
namespace {

AnalysisContext web() { return web_context(); }

TEST(QueryTemplateTest, FillsInEveryVariable) {
  const auto rendered = render_query(
      "{{namespace}} {{ deployment }} {{canary}} {{revision}} {{stableRevision}} {{podTemplateHash}} "
      "{{canaryService}} {{stableService}}",
      web());
  ASSERT_TRUE(std::holds_alternative<std::string>(rendered)) << std::get<QueryError>(rendered).message;
  EXPECT_EQ(std::get<std::string>(rendered),
            "shop web web-canary bbbbbbbbbb aaaaaaaaaa 7f9c6d8b5 web-canary web-stable");
}

TEST(QueryTemplateTest, ServiceVariablesNameTheBackendsOfTheSplitService) {
  AnalysisContext context = web();
  context.service = "storefront";
  EXPECT_EQ(std::get<std::string>(render_query("{{canaryService}} {{stableService}}", context)),
            "storefront-canary storefront-stable");
}

TEST(QueryTemplateTest, LeavesPromQLBracesAlone) {
  const auto rendered = render_query(R"(sum(rate(http_requests_total{namespace="{{namespace}}",code=~"5.."}[1m])))", web());
  EXPECT_EQ(std::get<std::string>(rendered), R"(sum(rate(http_requests_total{namespace="shop",code=~"5.."}[1m])))");
}

TEST(QueryTemplateTest, UnknownOrUnclosedVariablesAreErrors) {
  EXPECT_EQ(std::get<QueryError>(render_query("x{{app}}", web())).message.substr(0, 25), "unknown variable {{app}} ");
  EXPECT_EQ(std::get<QueryError>(render_query("x{{namespace", web())).message, "unclosed {{ at offset 1");
}

TEST(QueryTemplateTest, AVariableWithoutValueIsAnErrorNotAWiderMatch) {
  AnalysisContext context = web();
  context.pod_template_hash.clear();
  EXPECT_EQ(std::get<QueryError>(render_query("up{pod_template_hash=\"{{podTemplateHash}}\"}", context)).message,
            "{{podTemplateHash}} has no value yet");
}

}  // namespace
}  // namespace autocanary::analysis

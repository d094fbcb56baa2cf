#include "policy/query_template.h"

#include <gtest/gtest.h>

namespace autocanary::policy {
namespace {

TEST(QueryTemplateLanguageTest, AWellFormedTemplateHasNoProblems) {
  EXPECT_TRUE(query_template_problems("up{namespace=\"{{namespace}}\"}").empty());
}

TEST(QueryTemplateLanguageTest, UnknownAndUnclosedVariablesAreProblems) {
  EXPECT_EQ(query_template_problems("{{nope}}").size(), 1U);
  EXPECT_EQ(query_template_problems("x{{namespace").at(0), "unclosed {{ at offset 1");
}

TEST(QueryTemplateLanguageTest, ExpandsEachVariableThroughTheLookup) {
  const auto expanded = expand_query("a{{ deployment }}b{{canary}}", [](std::string_view name) {
    return "<" + std::string(name) + ">";
  });
  EXPECT_EQ(std::get<std::string>(expanded), "a<deployment>b<canary>");
}

}  // namespace
}  // namespace autocanary::policy

#include "policy/template_revision.h"

#include <gtest/gtest.h>

namespace autocanary::policy {
namespace {

using nlohmann::json;

TEST(TemplateRevisionTest, IsTenLowercaseHexDigits) {
  const std::string revision = template_revision(json{{"spec", {{"containers", json::array()}}}});
  ASSERT_EQ(revision.size(), 10U);
  EXPECT_EQ(revision.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(TemplateRevisionTest, IgnoresKeyOrderAndWhitespace) {
  const json a = json::parse(R"({"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"w:1"}]}})");
  const json b = json::parse(R"({ "spec" : { "containers" : [ { "image" : "w:1", "name" : "web" } ] },
                                  "metadata" : { "labels" : { "app" : "web" } } })");
  EXPECT_EQ(template_revision(a), template_revision(b));
}

TEST(TemplateRevisionTest, ChangesWithAnyField) {
  const json a = json::parse(R"({"spec":{"containers":[{"name":"web","image":"w:1"}]}})");
  json b = a;
  b["spec"]["containers"][0]["image"] = "w:2";
  json c = a;
  c["spec"]["containers"][0]["env"] = json::array({{{"name", "A"}, {"value", "1"}}});
  EXPECT_NE(template_revision(a), template_revision(b));
  EXPECT_NE(template_revision(a), template_revision(c));
  EXPECT_NE(template_revision(b), template_revision(c));
}

TEST(TemplateRevisionTest, IsStableAcrossRuns) {
  // Pinned: a changed hash would make every stored pending revision look new.
  EXPECT_EQ(template_revision(json::parse(R"({"spec":{"containers":[{"image":"w:1","name":"web"}]}})")),
            "bf410eb8fb");
}

}  // namespace
}  // namespace autocanary::policy

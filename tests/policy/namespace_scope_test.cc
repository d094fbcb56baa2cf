#include "policy/namespace_scope.h"

#include <gtest/gtest.h>

namespace autocanary::policy {
namespace {

using nlohmann::json;

json labelled(const char* value) {
  return {{"metadata", {{"name", "shop"}, {"labels", {{"autocanary.io/enabled", value}}}}}};
}

TEST(NamespaceScopeTest, OnlyOptedInNamespacesAreServed) {
  EXPECT_EQ(why_namespace_is_not_served("shop", labelled("true"), "autocanary-system"), std::nullopt);
  EXPECT_EQ(why_namespace_is_not_served("shop", labelled("false"), "autocanary-system"),
            "namespace \"shop\" has not opted in (label autocanary.io/enabled=true)");
  EXPECT_TRUE(why_namespace_is_not_served("shop", nullptr, "autocanary-system")) << "unknown is not served";
}

TEST(NamespaceScopeTest, SystemNamespacesAndOurOwnNeverAreWhateverTheirLabels) {
  EXPECT_EQ(why_namespace_is_not_served("kube-system", labelled("true"), "autocanary-system"),
            "namespace \"kube-system\" is a system namespace");
  EXPECT_EQ(why_namespace_is_not_served("autocanary-system", labelled("true"), "autocanary-system"),
            "namespace \"autocanary-system\" is autocanary's own");
}

TEST(NamespaceScopeTest, ServedNamespacesAskTheirListing) {
  const ServedNamespaces served{[](const std::string& name) { return name == "shop" ? labelled("true") : json(); },
                                "autocanary-system"};
  EXPECT_EQ(served.why_not("shop"), std::nullopt);
  EXPECT_TRUE(served.why_not("cart"));
}

}  // namespace
}  // namespace autocanary::policy

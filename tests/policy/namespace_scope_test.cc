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

json with_metadata(const char* name, json labels, json annotations = json::object()) {
  return {{"metadata", {{"name", name}, {"labels", std::move(labels)}, {"annotations", std::move(annotations)}}}};
}

TEST(OptInHintTest, AnOptedInNamespaceNeedsNone) { EXPECT_EQ(opt_in_hint(labelled("true")), std::nullopt); }

TEST(OptInHintTest, EachWayOfMissingTheOptInIsNamedWithTheCommandThatOptsIn) {
  EXPECT_EQ(opt_in_hint(labelled("yes")),
            "namespace shop is labelled autocanary.io/enabled=yes: only \"true\" opts it in, so its Deployments roll "
            "out without a canary (kubectl label namespace shop autocanary.io/enabled=true --overwrite)");
  EXPECT_EQ(opt_in_hint(labelled("false")),
            "namespace shop has opted out (autocanary.io/enabled=false): autocanary does not act there");
  EXPECT_EQ(opt_in_hint(with_metadata("shop", {{"autocanary.io/enable", "true"}})),
            "namespace shop has label autocanary.io/enable: did you mean autocanary.io/enabled? (kubectl label "
            "namespace shop autocanary.io/enabled=true)");
  EXPECT_EQ(opt_in_hint(with_metadata("shop", {{"team", "a"}}, {{"autocanary.io/enabled", "true"}})),
            "namespace shop has autocanary.io/enabled as an annotation; the opt-in is a label (kubectl label "
            "namespace shop autocanary.io/enabled=true)");
  EXPECT_EQ(opt_in_hint(with_metadata("shop", {{"team", "a"}})),
            "namespace shop has not opted in (kubectl label namespace shop autocanary.io/enabled=true)");
  EXPECT_EQ(opt_in_hint(with_metadata("kube-system", {{"autocanary.io/enabled", "true"}})),
            "namespace kube-system is a system namespace: autocanary never acts there");
}

TEST(OptInHintTest, MalformedMetadataGetsThePlainAnswer) {
  EXPECT_EQ(opt_in_hint(json{{"metadata", {{"name", "shop"}, {"labels", "x"}}}}),
            "namespace shop has not opted in (kubectl label namespace shop autocanary.io/enabled=true)");
  EXPECT_TRUE(opt_in_hint(json::array()));
}

}  // namespace
}  // namespace autocanary::policy

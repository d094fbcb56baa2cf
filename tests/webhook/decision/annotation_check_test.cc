#include "webhook/decision/annotation_check.h"

#include <gtest/gtest.h>

namespace autocanary::decision {
namespace {

using nlohmann::json;

json deployment(json annotations) {
  return {{"kind", "Deployment"}, {"metadata", {{"name", "web"}, {"annotations", std::move(annotations)}}}};
}

TEST(AnnotationWarningsTest, ATypoOfAKeyNamesTheNearestOne) {
  const auto warnings = annotation_warnings(nullptr, deployment({{"autocanary.io/stpes", "[{setWeight: 50}]"}}));
  ASSERT_EQ(warnings.size(), 1U);
  EXPECT_EQ(warnings[0],
            "autocanary: annotation autocanary.io/stpes is not one autocanary reads; it is ignored "
            "(did you mean autocanary.io/steps?)");
}

TEST(AnnotationWarningsTest, AKeyFarFromEveryKnownOneGetsNoGuess) {
  const auto warnings = annotation_warnings(nullptr, deployment({{"autocanary.io/canary-strategy", "fast"}}));
  ASSERT_EQ(warnings.size(), 1U);
  EXPECT_EQ(warnings[0], "autocanary: annotation autocanary.io/canary-strategy is not one autocanary reads; it is ignored");
}

TEST(AnnotationWarningsTest, ANamespaceKeyOnADeploymentSaysWhereItBelongs) {
  json object = deployment({{"autocanary.io/enabled", "true"}});
  auto warnings = annotation_warnings(nullptr, object);
  ASSERT_EQ(warnings.size(), 1U);
  EXPECT_EQ(warnings[0], "autocanary: autocanary.io/enabled is read on the namespace, not on a Deployment "
                         "(as a label: kubectl label namespace NAME autocanary.io/enabled=true)");
  object["metadata"]["namespace"] = "shop";
  warnings = annotation_warnings(nullptr, object);
  ASSERT_EQ(warnings.size(), 1U);
  EXPECT_NE(warnings[0].find("kubectl label namespace shop autocanary.io/enabled=true"), std::string::npos);
}

TEST(AnnotationWarningsTest, ASkipValueOtherThanTrueOrFalseSaysTheDeploymentStaysManaged) {
  const auto warnings = annotation_warnings(nullptr, deployment({{"autocanary.io/skip", "yes"}}));
  ASSERT_EQ(warnings.size(), 1U);
  EXPECT_EQ(warnings[0],
            "autocanary: annotation autocanary.io/skip is \"yes\": only \"true\" opts this Deployment out, so it stays managed");
  EXPECT_TRUE(annotation_warnings(nullptr, deployment({{"autocanary.io/skip", "true"}})).empty());
  EXPECT_TRUE(annotation_warnings(nullptr, deployment({{"autocanary.io/skip", "false"}})).empty());
}

TEST(AnnotationWarningsTest, KnownKeysOtherPrefixesAndUnchangedOnesAreQuiet) {
  const json known = deployment({{"autocanary.io/steps", "[{setWeight: 50}]"},
                                 {"autocanary.io/pending-revision", "abc"},
                                 {"example.com/stpes", "x"},
                                 {"kubectl.kubernetes.io/last-applied-configuration", "{}"}});
  EXPECT_TRUE(annotation_warnings(nullptr, known).empty());
  // A GitOps tool re-applying the same manifest hears about a typo once, not on every sync.
  const json typo = deployment({{"autocanary.io/stpes", "x"}});
  EXPECT_TRUE(annotation_warnings(&typo, typo).empty());
  EXPECT_EQ(annotation_warnings(&typo, deployment({{"autocanary.io/stpes", "y"}})).size(), 1U);
}

TEST(AnnotationWarningsTest, MalformedMetadataIsNoWarningAndNoThrow) {
  EXPECT_TRUE(annotation_warnings(nullptr, json{{"metadata", {{"annotations", "x"}}}}).empty());
  EXPECT_TRUE(annotation_warnings(nullptr, json::array()).empty());
  const json odd = deployment({{"autocanary.io/skip", 7}});
  EXPECT_EQ(annotation_warnings(nullptr, odd).size(), 1U);
}

TEST(PolicyAnnotationsChangedTest, AddingChangingOrRemovingAnOverrideCounts) {
  const json none = deployment(json::object());
  const json steps = deployment({{"autocanary.io/steps", "[{setWeight: 50}]"}});
  EXPECT_TRUE(policy_annotations_changed(&none, steps));
  EXPECT_TRUE(policy_annotations_changed(&steps, none));
  EXPECT_TRUE(policy_annotations_changed(nullptr, deployment({{"autocanary.io/policy", "fast"}})));
  EXPECT_TRUE(policy_annotations_changed(&none, deployment({{"autocanary.io/traffic-backend", "smi"}})));
  EXPECT_FALSE(policy_annotations_changed(&steps, steps));
  EXPECT_FALSE(policy_annotations_changed(&none, deployment({{"autocanary.io/retry", "true"}})));
}

json labelled_namespace(json labels) {
  return {{"kind", "Namespace"}, {"metadata", {{"name", "shop"}, {"labels", std::move(labels)}}}};
}

TEST(NamespaceLabelWarningsTest, AnOptInValueOtherThanTrueSaysTheNamespaceIsNotServed) {
  const auto warnings = namespace_label_warnings(nullptr, labelled_namespace({{"autocanary.io/enabled", "yes"}}));
  ASSERT_EQ(warnings.size(), 1U);
  EXPECT_EQ(warnings[0],
            "autocanary: namespace shop is labelled autocanary.io/enabled=yes: only \"true\" opts it in, so its "
            "Deployments roll out without a canary (kubectl label namespace shop autocanary.io/enabled=true "
            "--overwrite)");
  EXPECT_EQ(namespace_label_warnings(nullptr, labelled_namespace({{"autocanary.io/enabled", "True"}})).size(), 1U);
}

TEST(NamespaceLabelWarningsTest, TrueFalseAbsentAndUnchangedValuesAreQuiet) {
  for (const char* value : {"true", "false"})
    EXPECT_TRUE(namespace_label_warnings(nullptr, labelled_namespace({{"autocanary.io/enabled", value}})).empty())
        << value;
  EXPECT_TRUE(namespace_label_warnings(nullptr, labelled_namespace({{"team", "a"}})).empty());
  // Said once, on the command that set it: a later write of the namespace that keeps it is quiet.
  const json yes = labelled_namespace({{"autocanary.io/enabled", "yes"}});
  json relabelled = yes;
  relabelled["metadata"]["labels"]["team"] = "a";
  EXPECT_TRUE(namespace_label_warnings(&yes, relabelled).empty());
  EXPECT_TRUE(namespace_label_warnings(nullptr, json{{"metadata", {{"labels", "x"}}}}).empty());
  EXPECT_TRUE(namespace_label_warnings(nullptr, labelled_namespace({{"autocanary.io/enabled", 1}})).empty());
}

}  // namespace
}  // namespace autocanary::decision

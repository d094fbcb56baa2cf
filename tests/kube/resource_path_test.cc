#include "kube/resource_path.h"

#include <gtest/gtest.h>

namespace autocanary::kube {
namespace {

using namespace std::chrono_literals;

const ResourceRef kConfigMaps{"", "v1", "configmaps", "shop", "", ""};
const ResourceRef kDeployments{"apps", "v1", "deployments", "shop", "", ""};
const ResourceRef kCrds{"apiextensions.k8s.io", "v1", "customresourcedefinitions", "", "", ""};

std::string path_of(const ResourceRef& ref) {
  auto path = resource_path(ref);
  EXPECT_TRUE(path.ok()) << path.error().describe();
  return path ? path.value() : std::string();
}

TEST(ResourcePathTest, CoreGroupLivesUnderApi) {
  EXPECT_EQ(path_of(kConfigMaps), "/api/v1/namespaces/shop/configmaps");
  EXPECT_EQ(path_of(kConfigMaps.named("web")), "/api/v1/namespaces/shop/configmaps/web");
}

TEST(ResourcePathTest, NamedGroupsLiveUnderApis) {
  EXPECT_EQ(path_of(kDeployments.named("web")), "/apis/apps/v1/namespaces/shop/deployments/web");
}

TEST(ResourcePathTest, ClusterScopedResourcesHaveNoNamespaceSegment) {
  EXPECT_EQ(path_of(kCrds), "/apis/apiextensions.k8s.io/v1/customresourcedefinitions");
  EXPECT_EQ(path_of(kCrds.named("widgets.example.com")),
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com");
  EXPECT_EQ(path_of({"", "v1", "namespaces", "", "shop", ""}), "/api/v1/namespaces/shop");
}

TEST(ResourcePathTest, AllNamespacesIsTheUnnamespacedCollection) {
  ResourceRef everywhere = kDeployments;
  everywhere.namespace_name.clear();
  EXPECT_EQ(path_of(everywhere), "/apis/apps/v1/deployments");
}

TEST(ResourcePathTest, SubresourcesFollowTheName) {
  EXPECT_EQ(path_of(kDeployments.named("web").sub("status")),
            "/apis/apps/v1/namespaces/shop/deployments/web/status");
  EXPECT_EQ(path_of(kDeployments.named("web").sub("scale")),
            "/apis/apps/v1/namespaces/shop/deployments/web/scale");
}

TEST(ResourcePathTest, CollectionPathDropsNameAndSubresource) {
  auto path = collection_path(kDeployments.named("web").sub("status"));
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(path.value(), "/apis/apps/v1/namespaces/shop/deployments");
}

TEST(ResourcePathTest, RefusesReferencesThatCannotNameAnything) {
  EXPECT_FALSE(resource_path({"apps", "", "deployments", "", "", ""}).ok());
  EXPECT_FALSE(resource_path({"apps", "v1", "", "", "", ""}).ok());
  EXPECT_FALSE(resource_path(kDeployments.sub("status")).ok()) << "a subresource needs a name";
}

TEST(ResourcePathTest, RefusesSegmentsThatWouldChangeThePath) {
  for (const char* name : {"a/b", "a?b", "..%2f", "a b", "a#b"}) {
    SCOPED_TRACE(name);
    const auto path = resource_path(kConfigMaps.named(name));
    ASSERT_FALSE(path.ok());
    EXPECT_EQ(path.error().reason, kReasonInvalidRequest);
  }
}

TEST(ResourcePathTest, PercentEncodesAllButUnreservedCharacters) {
  EXPECT_EQ(percent_encode("app.kubernetes.io/name=web-1_x~"),
            "app.kubernetes.io%2Fname%3Dweb-1_x~");
  EXPECT_EQ(percent_encode("tier in (a,b),!canary"), "tier%20in%20%28a%2Cb%29%2C%21canary");
  EXPECT_EQ(percent_encode("a+b&c%"), "a%2Bb%26c%25");
  EXPECT_EQ(percent_encode("\xC3\xA9"), "%C3%A9");
}

TEST(ResourcePathTest, ListQueryEscapesSelectorsAndCarriesPaging) {
  ListOptions options;
  options.label_selector = "app=web,tier!=db";
  options.field_selector = "metadata.name=web";
  options.page_size = 2;
  EXPECT_EQ(with_query("/api/v1/pods", list_query(options, "tok+en/=")),
            "/api/v1/pods?labelSelector=app%3Dweb%2Ctier%21%3Ddb"
            "&fieldSelector=metadata.name%3Dweb&limit=2&continue=tok%2Ben%2F%3D");
}

TEST(ResourcePathTest, UnpagedListWithoutSelectorsHasNoQuery) {
  ListOptions options;
  options.page_size = 0;
  EXPECT_EQ(with_query("/api/v1/pods", list_query(options, "")), "/api/v1/pods");
}

TEST(ResourcePathTest, WatchQueryAsksForBookmarksAndABoundedWatch) {
  WatchOptions options;
  options.label_selector = "autocanary.io/managed=true";
  options.resource_version = "12345";
  options.timeout = 290s;
  EXPECT_EQ(with_query("/apis/apps/v1/deployments", watch_query(options)),
            "/apis/apps/v1/deployments?watch=true&labelSelector=autocanary.io%2Fmanaged%3Dtrue"
            "&resourceVersion=12345&allowWatchBookmarks=true&timeoutSeconds=290");
}

TEST(ResourcePathTest, PatchContentTypes) {
  EXPECT_STREQ(content_type_of(PatchType::kMerge), "application/merge-patch+json");
  EXPECT_STREQ(content_type_of(PatchType::kJson), "application/json-patch+json");
  EXPECT_STREQ(content_type_of(PatchType::kStrategicMerge),
               "application/strategic-merge-patch+json");
  EXPECT_STREQ(content_type_of(PatchType::kApply), "application/apply-patch+yaml");
}

}  // namespace
}  // namespace autocanary::kube

#include "coordinator/traffic/routers.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/coordinator/traffic/memory_kube_client.h"

namespace autocanary::traffic {
namespace {

using nlohmann::json;

json group_list(std::initializer_list<std::pair<const char*, const char*>> served) {
  json groups = json::array();
  for (const auto& [group, version] : served)
    groups.push_back({{"name", group}, {"versions", json::array({{{"groupVersion", std::string(group) + "/" + version},
                                                                  {"version", version}}})}});
  return {{"kind", "APIGroupList"}, {"groups", groups}};
}

json resource_list(std::initializer_list<const char*> resources) {
  json listed = json::array();
  for (const char* resource : resources) listed.push_back({{"name", resource}});
  return {{"kind", "APIResourceList"}, {"resources", listed}};
}

long discoveries(const testing::MemoryKubeClient& client, const std::string& what) {
  return std::count(client.reads.begin(), client.reads.end(), "discover " + what);
}

class RoutersDiscoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client.discovery[""] = group_list({{"networking.istio.io", "v1"}, {"split.smi-spec.io", "v1alpha2"}});
    client.discovery["networking.istio.io/v1"] = resource_list({"virtualservices", "destinationrules"});
    client.discovery["split.smi-spec.io/v1alpha2"] = resource_list({"trafficsplits"});
  }
  testing::MemoryKubeClient client;
  Routers routers{client};
};

TEST_F(RoutersDiscoveryTest, AGroupVersionsResourcesAreReadOnceWhileApisStaysTheSame) {
  for (int i = 0; i < 3; ++i) {
    const auto apis = routers.discover();
    ASSERT_TRUE(apis);
    EXPECT_EQ(apis->istio, "networking.istio.io/v1");
    EXPECT_EQ(apis->smi, "split.smi-spec.io/v1alpha2");
  }
  EXPECT_EQ(discoveries(client, "/apis"), 3) << "what is served is asked every time";
  EXPECT_EQ(discoveries(client, "networking.istio.io/v1"), 1);
  EXPECT_EQ(discoveries(client, "split.smi-spec.io/v1alpha2"), 1);
}

TEST_F(RoutersDiscoveryTest, ANewlyServedVersionIsSeenAtOnce) {
  ASSERT_TRUE(routers.discover());
  client.discovery[""] = group_list({{"networking.istio.io", "v1"}, {"split.smi-spec.io", "v1alpha2"},
                                     {"gateway.networking.k8s.io", "v1"}});
  client.discovery["gateway.networking.k8s.io/v1"] = resource_list({"httproutes", "gateways"});
  const auto apis = routers.discover();
  ASSERT_TRUE(apis);
  EXPECT_EQ(apis->gateway_api, "gateway.networking.k8s.io/v1");
  EXPECT_EQ(discoveries(client, "networking.istio.io/v1"), 2) << "another /apis: every list read again";
}

TEST_F(RoutersDiscoveryTest, AResourceAddedToAServedVersionIsFound) {
  client.discovery["networking.istio.io/v1"] = resource_list({"destinationrules"});
  auto apis = routers.discover();
  ASSERT_TRUE(apis);
  EXPECT_EQ(apis->istio, "");
  client.discovery["networking.istio.io/v1"] = resource_list({"virtualservices", "destinationrules"});
  apis = routers.discover();
  ASSERT_TRUE(apis);
  EXPECT_EQ(apis->istio, "networking.istio.io/v1") << "a list without the resource is not trusted";
}

}  // namespace
}  // namespace autocanary::traffic

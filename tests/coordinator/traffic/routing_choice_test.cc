#include "coordinator/traffic/routing_choice.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "tests/support/fixtures.h"

namespace autocanary::traffic {
namespace {

using nlohmann::json;
using policy::TrafficBackend;

TEST(ServedVersions, ListsTheVersionsOfOneGroup) {
  const json apis = testing::load_json("traffic/discovery-apis.json");
  EXPECT_EQ(served_versions(apis, "split.smi-spec.io"), (std::vector<std::string>{"v1alpha2", "v1alpha1"}));
  EXPECT_EQ(served_versions(apis, "networking.istio.io").front(), "v1");
  EXPECT_TRUE(served_versions(apis, "gateway.networking.k8s.io").empty());
  EXPECT_TRUE(served_versions(json::object(), "apps").empty());
}

TEST(ListsResource, FindsTheResourceByName) {
  const json list = testing::load_json("traffic/discovery-smi-v1alpha2.json");
  EXPECT_TRUE(lists_resource(list, "trafficsplits"));
  EXPECT_FALSE(lists_resource(list, "httproutes"));
  EXPECT_FALSE(lists_resource(json::array(), "trafficsplits"));
}

const RoutingApis kEverything{"split.smi-spec.io/v1alpha4", "gateway.networking.k8s.io/v1", "networking.istio.io/v1", ""};

TEST(ChooseRouting, NoMeshApiMeansPodRatioWithoutAWarning) {
  const auto choice = choose_routing(TrafficBackend::kAuto, {}, "web", "web");
  EXPECT_EQ(choice.backend, TrafficBackend::kPodRatio);
  EXPECT_EQ(choice.reason, "auto: no SMI, Gateway API or Istio routing API is served");
  EXPECT_TRUE(choice.warning.empty());
}

TEST(ChooseRouting, AutoPrefersIstioThenSmiThenGatewayApi) {
  EXPECT_EQ(choose_routing(TrafficBackend::kAuto, kEverything, "web", "web").backend, TrafficBackend::kIstio);
  RoutingApis no_istio = kEverything;
  no_istio.istio.clear();
  const auto smi = choose_routing(TrafficBackend::kAuto, no_istio, "web", "web");
  EXPECT_EQ(smi.backend, TrafficBackend::kSmi);
  EXPECT_EQ(smi.api_version, "split.smi-spec.io/v1alpha4");
  EXPECT_EQ(smi.reason, "auto: split.smi-spec.io/v1alpha4 is served; splitting Service web");
  const auto gateway = choose_routing(TrafficBackend::kAuto, {"", "gateway.networking.k8s.io/v1", "", ""}, "web",
                                      "front", "HTTPRoute shop/public");
  EXPECT_EQ(gateway.backend, TrafficBackend::kGatewayApi);
  EXPECT_EQ(gateway.api_version, "gateway.networking.k8s.io/v1");
}

TEST(ChooseRouting, AutoWithGatewayApiAndNoMeshReweightsTheUsersGatewayRoute) {
  const RoutingApis ingress_only{"", "gateway.networking.k8s.io/v1", "", ""};
  const auto choice = choose_routing(TrafficBackend::kAuto, ingress_only, "web", "web", "HTTPRoute shop/public");
  EXPECT_EQ(choice.router, kGatewayRouteRouter);
  EXPECT_EQ(choice.backend, TrafficBackend::kGatewayApi);
  EXPECT_EQ(choice.reason,
            "auto: gateway.networking.k8s.io/v1 is served and HTTPRoute shop/public, attached to a Gateway, sends to "
            "Service web; reweighting it in place");
  EXPECT_EQ(backend_named(choice.router), TrafficBackend::kGatewayApi);
}

TEST(ChooseRouting, AutoUsesAGammaRouteOnlyWhereAMeshImplementsIt) {
  RoutingApis apis{"", "gateway.networking.k8s.io/v1", "", ""};
  const auto nothing = choose_routing(TrafficBackend::kAuto, apis, "web", "web");
  EXPECT_EQ(nothing.router, "podRatio");
  EXPECT_NE(nothing.reason.find("no mesh implements GAMMA"), std::string::npos) << nothing.reason;
  EXPECT_TRUE(nothing.warning.empty());
  apis.gamma_mesh = "GatewayClass linkerd reports MeshHTTPRoute";
  const auto gamma = choose_routing(TrafficBackend::kAuto, apis, "web", "web");
  EXPECT_EQ(gamma.router, "gatewayAPI");
  EXPECT_NE(gamma.reason.find("GatewayClass linkerd reports MeshHTTPRoute"), std::string::npos) << gamma.reason;
  EXPECT_EQ(choose_routing(TrafficBackend::kAuto, apis, "web", "web", "HTTPRoute shop/public").router,
            kGatewayRouteRouter)
      << "the user's Gateway route wins: it is what the ingress traffic takes";
}

TEST(GammaImplementation, AGatewayClassReportingAMeshFeature) {
  const json discovery = testing::load_json("traffic/discovery-apis.json");
  json traefik = {{"metadata", {{"name", "traefik"}}},
                  {"status", {{"supportedFeatures", json::array({{{"name", "HTTPRoute"}}, {{"name", "Gateway"}}})}}}};
  json no_istio = discovery;
  auto& groups = no_istio["groups"];
  groups.erase(std::remove_if(groups.begin(), groups.end(),
                              [](const json& g) { return g["name"] == "networking.istio.io"; }),
               groups.end());
  EXPECT_EQ(gamma_implementation(no_istio, {traefik}), "");
  json mesh = {{"metadata", {{"name", "linkerd"}}},
               {"status", {{"supportedFeatures", json::array({{{"name", "HTTPRoute"}}, {{"name", "MeshHTTPRoute"}}})}}}};
  EXPECT_EQ(gamma_implementation(no_istio, {traefik, mesh}), "GatewayClass linkerd reports MeshHTTPRoute");
  mesh["status"]["supportedFeatures"] = json::array({"MeshClusterIPMatching"});  // strings, before v1.2
  EXPECT_EQ(gamma_implementation(no_istio, {mesh}), "GatewayClass linkerd reports MeshClusterIPMatching");
  EXPECT_EQ(gamma_implementation(discovery, {}), "Istio is installed (networking.istio.io is served)");
  const json linkerd = {{"groups", json::array({{{"name", "policy.linkerd.io"},
                                                 {"versions", json::array({{{"version", "v1beta3"}}})}}})}};
  EXPECT_EQ(gamma_implementation(linkerd, {}), "Linkerd is installed (policy.linkerd.io is served)");
}

TEST(ChooseRouting, AMeshWithoutAServiceFallsBackToPodRatioWithAWarning) {
  const auto choice = choose_routing(TrafficBackend::kAuto, kEverything, "web", "");
  EXPECT_EQ(choice.backend, TrafficBackend::kPodRatio);
  EXPECT_EQ(choice.warning,
            "no Service selects the pods of Deployment web, so the Istio VirtualService router cannot split its "
            "traffic; routing by pod ratio");
  const auto asked = choose_routing(TrafficBackend::kSmi, kEverything, "web", "");
  EXPECT_EQ(asked.backend, TrafficBackend::kPodRatio);
  EXPECT_NE(asked.warning.find("SMI TrafficSplit"), std::string::npos);
}

TEST(ChooseRouting, TheAskedBackendWinsOverAutoOrder) {
  const auto choice = choose_routing(TrafficBackend::kGatewayApi, kEverything, "web", "web");
  EXPECT_EQ(choice.backend, TrafficBackend::kGatewayApi);
  EXPECT_EQ(choice.router, "gatewayAPI");
  EXPECT_EQ(choice.reason,
            "the policy asks for gatewayAPI; no route attached to a Gateway sends to Service web; splitting it with a "
            "Service-parented (GAMMA) route, which only a mesh implements");
  EXPECT_EQ(choose_routing(TrafficBackend::kGatewayApi, kEverything, "web", "web", "HTTPRoute shop/public").router,
            kGatewayRouteRouter);
  EXPECT_EQ(choose_routing(TrafficBackend::kPodRatio, kEverything, "web", "web").backend, TrafficBackend::kPodRatio);
}

TEST(ChooseRouting, AnAskedBackendTheClusterDoesNotServeFallsBackWithAWarning) {
  const auto choice = choose_routing(TrafficBackend::kIstio, {"split.smi-spec.io/v1alpha2", "", "", ""}, "web", "web");
  EXPECT_EQ(choice.backend, TrafficBackend::kPodRatio);
  EXPECT_EQ(choice.warning, "trafficBackend istio: the cluster serves no Istio VirtualService; routing by pod ratio");
}

json service(const std::string& name, json selector, bool ours = false) {
  json object = {{"metadata", {{"name", name}, {"namespace", "shop"}}}, {"spec", {{"selector", std::move(selector)}}}};
  if (ours) object["metadata"]["labels"] = {{"autocanary.io/routing-for", "web"}};
  return object;
}

TEST(FindService, PicksAServiceWhoseSelectorMatchesThePodTemplate) {
  const json deployment = testing::load_json("traffic/deployment.json");
  const std::vector<json> services = {service("other", {{"app", "api"}}), service("front", {{"tier", "front"}}),
                                      service("all", json::object())};
  const json* found = find_service(deployment, services);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ((*found)["metadata"]["name"], "front");
}

TEST(FindService, PrefersTheDeploymentsNameAndNeverPicksOurOwnServices) {
  const json deployment = testing::load_json("traffic/deployment.json");
  const std::vector<json> services = {service("a-front", {{"tier", "front"}}), service("web", {{"app", "web"}}),
                                      service("web-stable", {{"app", "web"}}, true)};
  EXPECT_EQ((*find_service(deployment, services))["metadata"]["name"], "web");
  EXPECT_EQ(find_service(deployment, {service("web-stable", {{"app", "web"}}, true)}), nullptr);
  EXPECT_EQ(find_service(deployment, {service("web", {{"app", "web"}, {"version", "2"}})}), nullptr)
      << "a selector asking for more labels than the pods have matches nothing";
}

json replica_set(const std::string& hash, int replicas, const std::string& owner_uid) {
  return {{"metadata",
           {{"name", "web-" + hash},
            {"labels", {{"app", "web"}, {"pod-template-hash", hash}}},
            {"ownerReferences", json::array({{{"kind", "Deployment"}, {"uid", owner_uid}}})}}},
          {"spec", {{"replicas", replicas}}},
          {"status", {{"replicas", replicas}}}};
}

TEST(StablePodTemplateHash, IsTheOnlyReplicaSetWithPods) {
  const json deployment = testing::load_json("traffic/deployment.json");
  const std::string uid = deployment["metadata"]["uid"];
  EXPECT_EQ(stable_pod_template_hash(deployment, {replica_set("aaa", 0, uid), replica_set("bbb", 4, uid),
                                                   replica_set("ccc", 2, "someone-else")}),
            "bbb");
}

TEST(StablePodTemplateHash, IsUnknownWhileTheDeploymentRolls) {
  const json deployment = testing::load_json("traffic/deployment.json");
  const std::string uid = deployment["metadata"]["uid"];
  EXPECT_EQ(stable_pod_template_hash(deployment, {replica_set("aaa", 2, uid), replica_set("bbb", 3, uid)}),
            std::nullopt);
  EXPECT_EQ(stable_pod_template_hash(deployment, {}), std::nullopt);
}

TEST(MatchLabelsSelector, JoinsTheDeploymentsMatchLabels) {
  EXPECT_EQ(match_labels_selector(testing::load_json("traffic/deployment.json")), "app=web");
  EXPECT_EQ(match_labels_selector(json::object()), "");
}

TEST(BackendNamed, ReadsTheRecordedRouterName) {
  EXPECT_EQ(backend_named("smi"), TrafficBackend::kSmi);
  EXPECT_EQ(backend_named("gatewayAPI"), TrafficBackend::kGatewayApi);
  EXPECT_EQ(backend_named("istio"), TrafficBackend::kIstio);
  EXPECT_EQ(backend_named("podRatio"), TrafficBackend::kPodRatio);
  EXPECT_EQ(backend_named("linkerd"), TrafficBackend::kPodRatio);
}

}  // namespace
}  // namespace autocanary::traffic

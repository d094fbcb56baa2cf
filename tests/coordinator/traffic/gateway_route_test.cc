#include "coordinator/traffic/gateway_route.h"

#include <gtest/gtest.h>

#include "tests/support/fixtures.h"

namespace autocanary::traffic {
namespace {

using nlohmann::json;

constexpr const char* kAnnotation = "autocanary.io/original-routes";

json user_route() { return testing::load_json("traffic/user-httproute.json"); }

json reweighted(const json& route, int weight) {
  RouteRewrite rewrite = reweight_user_route(route, "web", weight);
  EXPECT_EQ(rewrite.problem, "");
  EXPECT_TRUE(rewrite.route.has_value());
  return rewrite.route.value_or(json());
}

TEST(UserRoute, OnlyTheBackendRefsToTheServiceBecomeStableCanaryPairs) {
  const json user = user_route();
  const json at_10 = reweighted(user, 10);
  EXPECT_EQ(at_10["spec"]["rules"][0].dump(), user["spec"]["rules"][0].dump()) << "a rule to another Service";
  EXPECT_EQ(at_10["spec"]["parentRefs"].dump(), user["spec"]["parentRefs"].dump());
  EXPECT_EQ(at_10["spec"]["hostnames"].dump(), user["spec"]["hostnames"].dump());
  EXPECT_EQ(at_10["spec"]["rules"][1]["matches"].dump(), user["spec"]["rules"][1]["matches"].dump());
  EXPECT_EQ(at_10["spec"]["rules"][1]["filters"].dump(), user["spec"]["rules"][1]["filters"].dump());
  EXPECT_EQ(at_10["spec"]["rules"][1]["backendRefs"],
            json::parse(R"([{"name":"web-stable","port":80,"weight":90},{"name":"web-canary","port":80,"weight":10}])"));
  EXPECT_EQ(at_10["metadata"]["annotations"]["team"], "shop");
}

TEST(UserRoute, AnotherBackendOfTheSameRuleKeepsItsShare) {
  const json at_10 = reweighted(user_route(), 10);
  // web 3 : web-legacy 1 → web's 3/4 split 90/10, web-legacy still 1/4.
  EXPECT_EQ(at_10["spec"]["rules"][2]["backendRefs"], json::parse(R"([
    {"group":"","kind":"Service","name":"web-stable","port":80,"weight":270},
    {"group":"","kind":"Service","name":"web-canary","port":80,"weight":30},
    {"group":"","kind":"Service","name":"web-legacy","port":80,"weight":100}])"));
  EXPECT_EQ(at_10["spec"]["rules"][2]["timeouts"], user_route()["spec"]["rules"][2]["timeouts"]);
}

TEST(UserRoute, ReadsBackTheWeightOfEveryReweightedRule) {
  EXPECT_EQ(user_route_weights(user_route(), "web"), (std::vector<std::optional<int>>{std::nullopt, std::nullopt}));
  EXPECT_EQ(user_route_weights(reweighted(user_route(), 40), "web"), (std::vector<std::optional<int>>{40, 40}));
  EXPECT_EQ(user_route_weights(reweighted(user_route(), 0), "web"), (std::vector<std::optional<int>>{0, 0}));
  EXPECT_EQ(user_route_weights(reweighted(user_route(), 100), "web"), (std::vector<std::optional<int>>{100, 100}));
  EXPECT_TRUE(user_route_weights(user_route(), "api").empty());
}

TEST(UserRoute, ReweightingAgainIsTheSameAsReweightingOnce) {
  const json once = reweighted(user_route(), 40);
  json walked = user_route();
  for (const int weight : {10, 25, 100, 0, 40}) walked = reweighted(walked, weight);
  EXPECT_EQ(walked, once);
  EXPECT_EQ(once["metadata"]["annotations"][kAnnotation], reweighted(once, 5)["metadata"]["annotations"][kAnnotation])
      << "the originals are recorded once";
}

TEST(UserRoute, RestoringGivesBackTheRouteAsTheUserWroteIt) {
  const json user = user_route();
  json walked = user;
  for (const int weight : {10, 40, 100}) walked = reweighted(walked, weight);
  EXPECT_EQ(restore_user_route(walked, "web"), user);
  json unannotated = user;
  unannotated["metadata"].erase("annotations");
  EXPECT_EQ(restore_user_route(reweighted(unannotated, 30), "web"), unannotated) << "no empty annotations left";
}

TEST(UserRoute, ARuleInsertedMeanwhileIsReweightedAndEveryRuleRestoredByContent) {
  json live = reweighted(user_route(), 10);
  const json inserted = json::parse(R"({"matches":[{"path":{"type":"Exact","value":"/beta"}}],
                                        "backendRefs":[{"name":"web","port":80}]})");
  live["spec"]["rules"].insert(live["spec"]["rules"].begin(), inserted);
  const json at_40 = reweighted(live, 40);
  EXPECT_EQ(user_route_weights(at_40, "web"), (std::vector<std::optional<int>>{40, 40, 40}));
  EXPECT_EQ(at_40["spec"]["rules"][1], user_route()["spec"]["rules"][0]) << "the rule to admin-console, moved";
  json expected = user_route();
  expected["spec"]["rules"].insert(expected["spec"]["rules"].begin(), inserted);
  EXPECT_EQ(restore_user_route(at_40, "web"), expected);
}

TEST(UserRoute, ANewRuleToTheServiceReadsAsNotYetReweighted) {
  json live = reweighted(user_route(), 10);
  live["spec"]["rules"].push_back(json::parse(R"({"backendRefs":[{"name":"web","port":80}]})"));
  EXPECT_EQ(user_route_weights(live, "web"), (std::vector<std::optional<int>>{10, 10, std::nullopt}));
}

TEST(UserRoute, ReorderedRulesAreRestoredByContent) {
  json live = reweighted(user_route(), 30);
  std::swap(live["spec"]["rules"][0], live["spec"]["rules"][2]);
  json expected = user_route();
  std::swap(expected["spec"]["rules"][0], expected["spec"]["rules"][2]);
  EXPECT_EQ(restore_user_route(live, "web"), expected);
}

TEST(UserRoute, BackendsTheUserChangedMeanwhileKeepTheChange) {
  json live = reweighted(user_route(), 10);
  live["spec"]["rules"][2]["backendRefs"][2]["weight"] = 300;  // web-legacy now 3× its share
  const json restored = restore_user_route(live, "web");
  EXPECT_EQ(restored["spec"]["rules"][2]["backendRefs"], json::parse(R"([
    {"group":"","kind":"Service","name":"web","port":80,"weight":1},
    {"group":"","kind":"Service","name":"web-legacy","port":80,"weight":1}])"));
  EXPECT_EQ(restored["spec"]["rules"][1], user_route()["spec"]["rules"][1]) << "the untouched rule as recorded";
}

TEST(UserRoute, OnlyTheCoreServiceOfTheRoutesNamespaceIsTheService) {
  json route = user_route();
  json& refs = route["spec"]["rules"][1]["backendRefs"];
  refs = json::parse(R"([{"name":"web","namespace":"other","port":80},
                         {"group":"example.com","kind":"Backend","name":"web"},
                         {"name":"web","namespace":"shop","port":80}])");
  const json at_20 = reweighted(route, 20);
  const json& written = at_20["spec"]["rules"][1]["backendRefs"];
  ASSERT_EQ(written.size(), 4u);
  EXPECT_EQ(written[0]["namespace"], "other");
  EXPECT_EQ(written[0]["name"], "web");
  EXPECT_EQ(written[1]["kind"], "Backend");
  EXPECT_EQ(written[2]["name"], "web-stable");
  EXPECT_EQ(written[3]["name"], "web-canary");
  EXPECT_EQ(written[3]["namespace"], "shop");
}

TEST(UserRoute, NoRuleToTheServiceMeansNothingToReweight) {
  json route = user_route();
  route["spec"]["rules"].erase(2);
  route["spec"]["rules"].erase(1);
  EXPECT_FALSE(reweight_user_route(route, "web", 10).route.has_value());
  EXPECT_FALSE(sends_to_service(route, "web"));
  EXPECT_TRUE(sends_to_service(user_route(), "web"));
  EXPECT_TRUE(sends_to_service(reweighted(user_route(), 10), "web"));
}

TEST(UserRoute, WeightsTooLargeToSplitAreAProblemNotACorruption) {
  json route = user_route();
  route["spec"]["rules"][2]["backendRefs"][0]["weight"] = 999999;
  route["spec"]["rules"][2]["backendRefs"][1]["weight"] = 999998;
  const RouteRewrite rewrite = reweight_user_route(route, "web", 10);
  EXPECT_FALSE(rewrite.route.has_value());
  EXPECT_NE(rewrite.problem.find("too large"), std::string::npos) << rewrite.problem;
}

TEST(UserRoute, AGrpcRouteIsReweightedTheSameWay) {
  const json grpc = json::parse(R"({
    "apiVersion":"gateway.networking.k8s.io/v1","kind":"GRPCRoute",
    "metadata":{"name":"shop-grpc","namespace":"shop"},
    "spec":{"parentRefs":[{"name":"public"}],
            "rules":[{"matches":[{"method":{"service":"shop.Cart"}}],"backendRefs":[{"name":"web","port":9000}]},
                     {"matches":[{"method":{"service":"shop.Admin"}}],"backendRefs":[{"name":"admin","port":9000}]}]}})");
  const json at_25 = reweighted(grpc, 25);
  EXPECT_EQ(at_25["spec"]["rules"][0]["backendRefs"],
            json::parse(R"([{"name":"web-stable","port":9000,"weight":75},{"name":"web-canary","port":9000,"weight":25}])"));
  EXPECT_EQ(at_25["spec"]["rules"][1], grpc["spec"]["rules"][1]);
  EXPECT_EQ(restore_user_route(at_25, "web"), grpc);
}

TEST(UserRoute, AttachedToAGatewayOrToAService) {
  EXPECT_TRUE(attached_to_gateway(user_route()));
  json gamma = user_route();
  gamma["spec"]["parentRefs"] = json::parse(R"([{"group":"","kind":"Service","name":"web","port":80}])");
  EXPECT_FALSE(attached_to_gateway(gamma));
  gamma["spec"]["parentRefs"].push_back({{"name", "public"}});  // group and kind default to a Gateway
  EXPECT_TRUE(attached_to_gateway(gamma));
}

}  // namespace
}  // namespace autocanary::traffic

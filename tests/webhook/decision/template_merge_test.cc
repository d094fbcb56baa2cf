#include "webhook/decision/template_merge.h"

#include <gtest/gtest.h>

namespace autocanary::decision {
namespace {

using nlohmann::json;

json pod(const std::string& image, json env) {
  return {{"metadata", {{"creationTimestamp", nullptr}, {"labels", {{"app", "api"}}}}},
          {"spec", {{"containers", json::array({{{"name", "app"}, {"image", image}, {"env", std::move(env)}}})}}}};
}

TEST(MergeChange, AChangeToTheLiveTemplateLandsOnThePendingOne) {
  const json live = pod("api:v1", json::array({{{"name", "MODE"}, {"value", "old"}}}));
  const json pending = pod("api:v2", json::array({{{"name", "MODE"}, {"value", "new"}}}));
  const json set_image = pod("api:v3", json::array({{{"name", "MODE"}, {"value", "old"}}}));
  EXPECT_EQ(merge_change(live, pending, set_image), pod("api:v3", json::array({{{"name", "MODE"}, {"value", "new"}}})));
}

TEST(MergeChange, NamedListsMergeItemByItem) {
  const json live = pod("api:v1", json::array({{{"name", "A"}, {"value", "1"}}, {{"name", "B"}, {"value", "1"}}}));
  const json pending = pod("api:v2", json::array({{{"name", "A"}, {"value", "2"}}, {{"name", "B"}, {"value", "1"}}}));
  // The change removes B and adds C.
  const json change = pod("api:v1", json::array({{{"name", "A"}, {"value", "1"}}, {{"name", "C"}, {"value", "3"}}}));
  EXPECT_EQ(merge_change(live, pending, change),
            pod("api:v2", json::array({{{"name", "A"}, {"value", "2"}}, {{"name", "C"}, {"value", "3"}}})));
}

TEST(MergeChange, AddedAndRemovedFieldsAndNullValues) {
  json live = pod("api:v1", json::array());
  json pending = live;
  pending["spec"]["containers"][0]["image"] = "api:v2";
  pending["spec"]["nodeSelector"] = {{"disk", "ssd"}};
  json change = live;
  change["metadata"]["annotations"] = {{"kubectl.kubernetes.io/restartedAt", "now"}};
  change["metadata"]["labels"].erase("app");
  json expected = pending;
  expected["metadata"]["annotations"] = change["metadata"]["annotations"];
  expected["metadata"]["labels"].erase("app");
  const json merged = merge_change(live, pending, change);
  EXPECT_EQ(merged, expected);
  EXPECT_TRUE(merged["metadata"].contains("creationTimestamp")) << "a JSON null is a value, not an absence";
}

TEST(MergeChange, NoChangeGivesThePendingTemplateAndBothChangedGivesTheLatest) {
  const json live = pod("api:v1", json::array());
  const json pending = pod("api:v2", json::array());
  EXPECT_EQ(merge_change(live, pending, live), pending);
  EXPECT_EQ(merge_change(live, pending, pod("api:v3", json::array())), pod("api:v3", json::array()));
  // Unnamed lists are values: the change's list wins when it changed.
  json args_live = live;
  args_live["spec"]["containers"][0]["args"] = {"--a"};
  json args_pending = pending;
  args_pending["spec"]["containers"][0]["args"] = {"--b"};
  json args_change = args_live;
  args_change["spec"]["containers"][0]["args"] = {"--c"};
  EXPECT_EQ(merge_change(args_live, args_pending, args_change)["spec"]["containers"][0]["args"], json({"--c"}));
}

}  // namespace
}  // namespace autocanary::decision

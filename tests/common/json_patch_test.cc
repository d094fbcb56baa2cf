#include "common/json_patch.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/fixtures.h"

namespace autocanary::common {
namespace {

using nlohmann::json;

TEST(JsonPatchTest, EscapesPointerTokens) {
  EXPECT_EQ(escape_pointer_token("autocanary.io/managed"), "autocanary.io~1managed");
  EXPECT_EQ(escape_pointer_token("a~b/c"), "a~0b~1c");
}

TEST(JsonPatchTest, SetMapEntriesAddsReplacesAndRemovesOnlyNamedKeys) {
  const json object = {{"metadata", {{"labels", {{"keep", "1"}, {"change", "old"}, {"drop", "x"}}}}}};
  JsonPatch patch;
  patch.set_map_entries(object, "/metadata/labels",
                        {{"change", "new"}, {"drop", std::nullopt}, {"new/key", "v"}, {"absent", std::nullopt}});
  EXPECT_EQ(patch.operations(), json::parse(R"([
    {"op":"replace","path":"/metadata/labels/change","value":"new"},
    {"op":"remove","path":"/metadata/labels/drop"},
    {"op":"add","path":"/metadata/labels/new~1key","value":"v"}])"));
  EXPECT_EQ(object.patch(patch.operations())["metadata"]["labels"],
            json({{"keep", "1"}, {"change", "new"}, {"new/key", "v"}}));
}

TEST(JsonPatchTest, SetMapEntriesCreatesAMissingOrNullMap) {
  JsonPatch missing;
  missing.set_map_entries(json{{"metadata", json::object()}}, "/metadata/annotations", {{"a", "1"}});
  EXPECT_EQ(missing.operations(), json::parse(R"([{"op":"add","path":"/metadata/annotations","value":{"a":"1"}}])"));

  JsonPatch null_map;
  null_map.set_map_entries(json{{"metadata", {{"annotations", nullptr}}}}, "/metadata/annotations", {{"a", "1"}});
  EXPECT_EQ(null_map.operations(),
            json::parse(R"([{"op":"replace","path":"/metadata/annotations","value":{"a":"1"}}])"));
}

TEST(JsonPatchTest, SetMapEntriesWithNothingToDoIsEmpty) {
  JsonPatch patch;
  patch.set_map_entries(json{{"metadata", json::object()}}, "/metadata/annotations", {{"a", std::nullopt}});
  patch.set_map_entries(json{{"metadata", {{"labels", {{"a", "1"}}}}}}, "/metadata/labels", {{"a", "1"}});
  EXPECT_TRUE(patch.empty());
}

TEST(JsonPatchTest, TransformTurnsOneValueIntoAnother) {
  const json from = {{"containers", {{{"name", "a"}, {"image", "x:1"}}, {{"name", "b"}}}}};
  const json to = {{"containers", {{{"name", "a"}, {"image", "x:2"}}}}};
  JsonPatch patch;
  patch.transform("/spec", from, to);
  const json document = {{"spec", from}};
  EXPECT_EQ(document.patch(patch.operations()), json({{"spec", to}}));
}

// The operations json::diff gives, exactly: the patch the webhook answers is
// the same bytes with either.
void expect_diffs_operations(const json& from, const json& to) {
  JsonPatch patch;
  patch.transform("/spec/template", from, to);
  EXPECT_EQ(patch.operations(), json::diff(from, to, "/spec/template")) << from.dump() << " -> " << to.dump();
}

TEST(JsonPatchTest, TransformGivesTheOperationsOfJsonDiff) {
  const json base = json::parse(R"({"metadata":{"labels":{"app":"web","a/b~c":"1"}},
      "spec":{"containers":[{"name":"web","image":"web:1","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],
      "ports":[{"containerPort":80}]}],"volumes":[]}})");
  expect_diffs_operations(base, base);
  const std::vector<std::string> changes = {
      R"([{"op":"replace","path":"/spec/containers/0/image","value":"web:2"}])",
      R"([{"op":"remove","path":"/spec/containers/0/env/1"}])",
      R"([{"op":"remove","path":"/spec/containers/0/env"}])",
      R"([{"op":"add","path":"/spec/containers/0/env/-","value":{"name":"C","value":"3"}},
          {"op":"add","path":"/spec/containers/0/env/-","value":{"name":"D"}}])",
      R"([{"op":"add","path":"/spec/containers/-","value":{"name":"side","image":"s:1"}}])",
      R"([{"op":"replace","path":"/spec/containers","value":[]}])",
      R"([{"op":"replace","path":"/metadata/labels/a~1b~0c","value":"2"},{"op":"add","path":"/metadata/labels/x~1y","value":"3"}])",
      R"([{"op":"remove","path":"/metadata/labels/a~1b~0c"}])",
      R"([{"op":"replace","path":"/spec/containers/0/ports/0/containerPort","value":"80"}])",
      R"([{"op":"replace","path":"/spec/containers/0/ports/0/containerPort","value":8080.5}])",
      R"([{"op":"replace","path":"/spec/volumes","value":{}}])",
      R"([{"op":"replace","path":"/metadata","value":null}])",
      R"([{"op":"remove","path":"/spec/containers/0/env/0"},{"op":"replace","path":"/spec/containers/0/image","value":"w:3"},
          {"op":"add","path":"/spec/initContainers","value":[{"name":"init"}]}])",
  };
  for (const std::string& change : changes) {
    const json changed = base.patch(json::parse(change));
    expect_diffs_operations(base, changed);
    expect_diffs_operations(changed, base);
  }
  expect_diffs_operations(json::array({1, 2, 3, 4}), json::array({1}));  // removals, the last first
  expect_diffs_operations(json(1), json(1U));                            // equal across integer kinds
  expect_diffs_operations(json("a"), json::object());
}

TEST(JsonPatchTest, TransformOfTheLargeFixturesTemplatesIsJsonDiffs) {
  const json review = autocanary::testing::load_json("admission/update-catalog-large.json");
  const json& old_template = review["request"]["oldObject"]["spec"]["template"];
  const json& new_template = review["request"]["object"]["spec"]["template"];
  expect_diffs_operations(new_template, old_template);
  expect_diffs_operations(old_template, new_template);
}

}  // namespace
}  // namespace autocanary::common

namespace autocanary::common {
namespace {

TEST(JsonPatchTest, SerializeIsTheSameDocumentAsOperations) {
  JsonPatch patch;
  patch.add("/metadata/annotations/a~1b", "quote \" backslash \\ newline \n tab \t bell \x07 unicode é 日本");
  patch.replace("/spec/replicas", 3);
  patch.add("/spec/template", json{{"spec", {{"containers", json::array({{{"name", "x"}}})}}}});
  patch.remove("/metadata/labels/x");
  EXPECT_EQ(json::parse(patch.serialize()), patch.operations());
  EXPECT_EQ(JsonPatch().serialize(), "[]");
}

}  // namespace
}  // namespace autocanary::common

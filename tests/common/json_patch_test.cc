#include "common/json_patch.h"

#include <gtest/gtest.h>

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

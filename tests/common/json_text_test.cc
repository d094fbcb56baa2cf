#include "common/json_text.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace autocanary::common {
namespace {

TEST(JsonShapeTest, CountsNestingAndElementsOutsideStrings) {
  const auto shape = json_shape(R"({"a":[1,2,{"b":"x,{[\"y"}],"c":null})");
  EXPECT_EQ(shape.depth, 3);
  // 1 + three containers + three commas: the 7 values there are (the object, the
  // array, 1, 2, the inner object, "x,{[\"y" and null); brackets in strings do not count.
  EXPECT_EQ(shape.elements, 7u);
}

std::size_t values_in(const nlohmann::json& value) {
  std::size_t count = 1;
  if (value.is_structured())
    for (const auto& child : value) count += values_in(child);
  return count;
}

TEST(JsonShapeTest, IsAnUpperBoundOfTheValuesTheParserBuilds) {
  for (const char* text : {"[]", "{}", "[{},{},[]]", R"({"a":{"b":{}},"c":[0,0]})", "0", "[1,[2,[3,4]],{}]"})
    EXPECT_GE(json_shape(text).elements, values_in(nlohmann::json::parse(text))) << text;
  EXPECT_EQ(json_shape("").elements, 0u);
}

TEST(JsonShapeTest, NestingLimit) {
  EXPECT_FALSE(json_nesting_exceeds("[[[]]]", 3));
  EXPECT_TRUE(json_nesting_exceeds("[[[[]]]]", 3));
  EXPECT_FALSE(json_nesting_exceeds(R"("[[[[[[")", 3));
}

}  // namespace
}  // namespace autocanary::common

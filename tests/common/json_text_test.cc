#include "common/json_text.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/fixtures.h"

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

// The scan one character at a time, as a reference for the one that skips
// strings by quotes.
JsonShape shape_by_characters(std::string_view text) {
  JsonShape shape;
  if (text.empty()) return shape;
  shape.elements = 1;
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      shape.depth = std::max(shape.depth, ++depth);
      ++shape.elements;
    } else if (c == '}' || c == ']') {
      --depth;
    } else if (c == ',') {
      ++shape.elements;
    }
  }
  return shape;
}

TEST(JsonShapeTest, EscapedQuotesAndBackslashRunsEndStringsWhereTheParserDoes) {
  for (const char* text : {R"(["a\"",[1]])", R"(["a\\",[1]])", R"(["a\\\",[[1]]],2)", R"(["\\\\"],[,])",
                           R"(["x", "[{" , "]}"])", R"("unterminated [ { ,)", R"(["a\)", R"(["\"])", R"("")",
                           R"("\"")", R"([""",[]])", R"(\"[1,2]")", R"({"k\"":[{"\\":","}]})"}) {
    const auto fast = json_shape(text);
    const auto reference = shape_by_characters(text);
    EXPECT_EQ(fast.depth, reference.depth) << text;
    EXPECT_EQ(fast.elements, reference.elements) << text;
  }
}

std::string appended_string(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

TEST(AppendJsonStringTest, EscapesAsDumpDoesWhereverTheCharacterFalls) {
  // Every character to escape, at every offset of an eight-byte word, among
  // ASCII and multi-byte UTF-8.
  const std::vector<std::string> specials = {"\"", "\\", "\n", "\t", "\b", "\f", "\r", std::string(1, '\0'),
                                             "\x01", "\x1f", "\x7f", "é", "日本"};
  for (const std::string& special : specials) {
    for (std::size_t offset = 0; offset < 17; ++offset) {
      const std::string text = std::string(offset, 'a') + special + "0123456789abcdef" + special;
      EXPECT_EQ(appended_string(text), nlohmann::json(text).dump()) << offset;
    }
  }
  EXPECT_EQ(appended_string(""), "\"\"");
}

std::string appended(const nlohmann::json& value) {
  std::string out;
  append_json(out, value);
  return out;
}

TEST(AppendJsonTest, WritesWhatDumpWrites) {
  for (const char* name : {"admission/create-web.json", "admission/update-catalog-large.json",
                           "admission/update-api-multicontainer.json", "traffic/virtualservice.json"}) {
    const nlohmann::json value = autocanary::testing::load_json(name);
    EXPECT_EQ(appended(value), value.dump()) << name;
  }
  const auto value = nlohmann::json::parse(R"({"b":[1,-2,3.5,-0.0,1e300,18446744073709551615,true,false,null],
      "a":{"":"","k\"ey":"v\u0000\u001f\u007f\\","é":"日本"},"c":[],"d":{}})");
  EXPECT_EQ(appended(value), value.dump());
  EXPECT_EQ(appended(nlohmann::json()), "null");
}

TEST(AppendJsonTest, InvalidUtf8ThrowsWhatDumpThrows) {
  for (const std::string bad : {"ab\xff", "\xc3", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf", "ok\xe2\x82"}) {
    for (const nlohmann::json& value : {nlohmann::json{{"k", bad}}, nlohmann::json{{bad, 1}}}) {
      std::string expected;
      try {
        (void)value.dump();
        ADD_FAILURE() << "dump accepted " << bad;
      } catch (const nlohmann::json::exception& error) {
        expected = error.what();
      }
      try {
        (void)appended(value);
        ADD_FAILURE() << "append_json accepted " << bad;
      } catch (const nlohmann::json::exception& error) {
        EXPECT_EQ(error.what(), expected);
      }
    }
  }
  // Well-formed multi-byte text passes.
  EXPECT_EQ(appended(nlohmann::json("\xf0\x9f\x98\x80 \xe2\x82\xac \xc3\xa9")),
            nlohmann::json("\xf0\x9f\x98\x80 \xe2\x82\xac \xc3\xa9").dump());
}

TEST(JsonShapeTest, NestingLimit) {
  EXPECT_FALSE(json_nesting_exceeds("[[[]]]", 3));
  EXPECT_TRUE(json_nesting_exceeds("[[[[]]]]", 3));
  EXPECT_FALSE(json_nesting_exceeds(R"("[[[[[[")", 3));
}

}  // namespace
}  // namespace autocanary::common

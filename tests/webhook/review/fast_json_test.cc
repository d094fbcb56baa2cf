#include "webhook/review/fast_json.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "tests/support/fixtures.h"
#include "webhook/review/admission_review.h"

namespace autocanary::api {
namespace {

using nlohmann::json;

// Equal, and of the same kind all the way down: what nlohmann's parser would
// have built (json's == alone calls 1 and 1U and 1.0 equal).
void expect_same_tree(const json& fast, const json& reference, const std::string& where) {
  ASSERT_EQ(fast.type(), reference.type()) << where;
  if (fast.is_object()) {
    ASSERT_EQ(fast.size(), reference.size()) << where;
    for (auto member = fast.begin(), other = reference.begin(); member != fast.end(); ++member, ++other) {
      ASSERT_EQ(member.key(), other.key()) << where;
      expect_same_tree(member.value(), other.value(), where + "/" + member.key());
    }
  } else if (fast.is_array()) {
    ASSERT_EQ(fast.size(), reference.size()) << where;
    for (std::size_t i = 0; i < fast.size(); ++i)
      expect_same_tree(fast[i], reference[i], where + "/" + std::to_string(i));
  } else {
    ASSERT_EQ(fast, reference) << where;
  }
}

void expect_read_as_nlohmann_does(const std::string& text) {
  const auto fast = parse_json_fast(text);
  ASSERT_TRUE(fast.has_value()) << text.substr(0, 200);
  const json reference = json::parse(text);
  expect_same_tree(*fast, reference, "");
  EXPECT_EQ(fast->dump(), reference.dump());
}

TEST(FastJsonTest, BuildsTheTreeNlohmannBuildsForEveryAdmissionFixture) {
  for (const char* name : {"create-web.json", "update-api-multicontainer.json", "update-catalog-large.json",
                           "update-web-image.json", "update-web-scale.json"}) {
    SCOPED_TRACE(name);
    const std::string text = testing::load_text(std::string("admission/") + name);
    expect_read_as_nlohmann_does(text);                     // as stored: indented
    expect_read_as_nlohmann_does(json::parse(text).dump());  // as the apiserver sends it
  }
}

TEST(FastJsonTest, StringsAreUnescapedAsNlohmannDoes) {
  expect_read_as_nlohmann_does(R"(["plain", "", "a\"b\\c\/d", "\b\f\n\r\t", "\u0000 and \u001f", "\u00e9\u4e2d",
                                   "\ud83d\ude00", "caf\u00e9 ☕ 中文", "x\u007fy"])");
}

TEST(FastJsonTest, NumbersKeepNlohmannsKinds) {
  // Non-negative integers unsigned, negative ones signed, the rest double.
  expect_read_as_nlohmann_does(R"([0, 1, 42, -1, -42, 9223372036854775807, 9223372036854775808,
                                   18446744073709551615, -9223372036854775808, 1.5, -0.0, 0.0, 1e2, 1E-2,
                                   2.5e10, 1e-400, 123456789.123456789, 5e-324])");
  // "-0" is the one integer whose kind differs (unsigned 0 here, signed 0
  // there): the same value, and dump() writes both as 0.
  const auto minus_zero = parse_json_fast("[-0]");
  ASSERT_TRUE(minus_zero.has_value());
  EXPECT_EQ(*minus_zero, json::parse("[-0]"));
  EXPECT_EQ(minus_zero->dump(), json::parse("[-0]").dump());
}

TEST(FastJsonTest, TheLastOfADuplicatedKeyWins) {
  expect_read_as_nlohmann_does(R"({"a": 1, "b": {"c": 1}, "a": [2], "b": "x"})");
}

TEST(FastJsonTest, StructureAndWhitespace) {
  expect_read_as_nlohmann_does(" \t\r\n{ \"a\" : [ ] , \"b\" : { } , \"c\" : [ [ [ null ] ] , true , false ] } \n");
  expect_read_as_nlohmann_does("\"a lone string\"");
  expect_read_as_nlohmann_does("17");
}

TEST(FastJsonTest, LeavesToNlohmannWhatSimdjsonRefuses) {
  // Valid for nlohmann, refused by simdjson: the caller falls back.
  EXPECT_FALSE(parse_json_fast("\xEF\xBB\xBF{\"a\":1}").has_value());       // byte-order mark
  EXPECT_FALSE(parse_json_fast("[123456789012345678901234567890]").has_value());  // beyond 64 bits
  EXPECT_FALSE(parse_json_fast(std::string("[1]\0[", 5)).has_value());      // text after a NUL
  // Malformed: nlohmann gives the verdict and its message.
  for (const char* text : {"", "  ", "[1,]", "{\"a\" 1}", "[01]", "[\"\\ud800\"]", "[\"\\x\"]", "nul", "[1]x",
                           "\"\xC3\x28\"", "{\"a\":1,}", "[1e400]"})
    EXPECT_FALSE(parse_json_fast(text).has_value()) << text;
}

TEST(FastJsonTest, ReviewsSimdjsonRefusesAreStillReadByNlohmann) {
  const std::string body = "\xEF\xBB\xBF" + testing::load_text("admission/update-web-image.json");
  auto parsed = parse_admission_review(body);
  ASSERT_TRUE(std::holds_alternative<AdmissionRequest>(parsed));
  EXPECT_EQ(std::get<AdmissionRequest>(parsed).name, "web");

  json review = testing::load_json("admission/update-web-image.json");
  review["request"]["object"]["metadata"]["annotations"]["big"] = 1;
  std::string text = review.dump();
  text.replace(text.find("\"big\":1"), 7, "\"big\":123456789012345678901234567890");
  parsed = parse_admission_review(text);
  ASSERT_TRUE(std::holds_alternative<AdmissionRequest>(parsed));
  EXPECT_TRUE(std::get<AdmissionRequest>(parsed).object["metadata"]["annotations"]["big"].is_number_float());
}

// Parsers are lent from a small pool one text at a time, and a text too large
// for them, or one that finds them all lent, gets its own: whatever was read
// before, by whichever thread, each text gets its own tree.
TEST(FastJsonTest, EachTextGetsItsOwnTreeWhateverWasReadBeforeAndBeside) {
  const std::string large = json::parse(testing::load_text("admission/update-catalog-large.json")).dump();
  const std::string small = json::parse(testing::load_text("admission/update-web-image.json")).dump();
  std::string beyond_the_pool = "[";  // ~600 KB
  for (int i = 0; i < 4; ++i) beyond_the_pool += (i > 0 ? "," : "") + large;
  beyond_the_pool += "]";
  const std::vector<std::string> texts = {large, "[1,]", small, beyond_the_pool, "{\"a\" 1}", small, large};
  std::vector<std::thread> readers;
  for (int reader = 0; reader < 4; ++reader)
    readers.emplace_back([&] {
      for (int round = 0; round < 5; ++round)
        for (const std::string& text : texts) {
          const auto fast = parse_json_fast(text);
          const json reference = json::parse(text, nullptr, /*allow_exceptions=*/false);
          if (reference.is_discarded()) {
            EXPECT_FALSE(fast.has_value()) << text;
          } else {
            ASSERT_TRUE(fast.has_value());
            EXPECT_EQ(fast->dump(), reference.dump());
          }
        }
    });
  for (auto& reader : readers) reader.join();
}

}  // namespace
}  // namespace autocanary::api

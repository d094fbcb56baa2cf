#include "common/yaml_json.h"

#include <string>

#include <gtest/gtest.h>

namespace autocanary::common {
namespace {

using nlohmann::json;

std::string error_of(std::string_view text, const YamlLimits& limits = {}) {
  auto result = yaml_to_json(text, limits);
  return std::holds_alternative<std::string>(result) ? std::get<std::string>(result) : "(parsed)";
}

TEST(YamlJsonTest, ConvertsMapsSequencesAndTypedScalars) {
  const auto parsed = yaml_to_json("steps:\n- setWeight: 25\n- pause: {duration: 1m}\nok: true\nq: \"25\"\nn: ~\n");
  ASSERT_TRUE(std::holds_alternative<json>(parsed)) << std::get<std::string>(parsed);
  EXPECT_EQ(std::get<json>(parsed),
            json::parse(R"({"steps":[{"setWeight":25},{"pause":{"duration":"1m"}}],"ok":true,"q":"25","n":null})"));
}

TEST(YamlJsonTest, AnEmptyDocumentIsNull) { EXPECT_TRUE(std::get<json>(yaml_to_json("")).is_null()); }

TEST(YamlJsonTest, AnAliasBombIsRefusedBeforeItExpands) {
  // "Billion laughs": nine levels of nine aliases would be 10^9 strings.
  std::string bomb = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n";
  for (char level = 'b'; level <= 'i'; ++level) {
    const char previous = static_cast<char>(level - 1);
    bomb += std::string(1, level) + ": &" + level + " [";
    for (int i = 0; i < 9; ++i) bomb += std::string(i ? "," : "") + "*" + previous;
    bomb += "]\n";
  }
  EXPECT_LT(bomb.size(), 400U);
  EXPECT_NE(error_of(bomb).find("aliases (*name) are not accepted"), std::string::npos) << error_of(bomb);
}

TEST(YamlJsonTest, AnAnchorWithoutAliasIsHarmless) {
  EXPECT_EQ(std::get<json>(yaml_to_json("a: &x 1\n")), json::parse(R"({"a":1})"));
}

TEST(YamlJsonTest, DeepNestingIsRefused) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_EQ(error_of(deep), "invalid YAML: nested deeper than 64 levels") << "refused before the parser runs";
  EXPECT_NE(error_of(std::string(65, '[') + std::string(65, ']')).find("nested deeper than 64 levels"),
            std::string::npos);
  EXPECT_EQ(error_of(std::string(64, '[') + std::string(64, ']')), "(parsed)");
}

TEST(YamlJsonTest, TooManyNodesAreRefused) {
  std::string many = "[";
  for (int i = 0; i < 200; ++i) many += std::string(i ? "," : "") + "1";
  many += "]";
  EXPECT_NE(error_of(many, {.max_nodes = 100}).find("more than 100 nodes"), std::string::npos);
  EXPECT_EQ(error_of(many, {.max_nodes = 201}), "(parsed)");
}

TEST(YamlJsonTest, TooLargeATextIsRefusedUnread) {
  const std::string huge = "a: \"" + std::string(2 * 1024 * 1024, 'x') + "\"";
  EXPECT_NE(error_of(huge).find("more than the 1048576 accepted"), std::string::npos);
}

TEST(YamlJsonTest, AMapKeyMustBeAScalar) {
  EXPECT_NE(error_of("? [a, b]\n: 1\n").find("a map key must be a scalar"), std::string::npos);
}

TEST(YamlJsonTest, OnlyTheFirstDocumentIsRead) {
  EXPECT_EQ(std::get<json>(yaml_to_json("a: 1\n---\nb: 2\n")), json::parse(R"({"a":1})"));
}

}  // namespace
}  // namespace autocanary::common

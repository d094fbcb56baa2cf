#include "common/nearest_word.h"

#include <gtest/gtest.h>

namespace autocanary::common {
namespace {

using namespace std::string_view_literals;

TEST(EditDistanceTest, CountsInsertionsDeletionsAndSubstitutions) {
  EXPECT_EQ(edit_distance("", ""), 0U);
  EXPECT_EQ(edit_distance("steps", "steps"), 0U);
  EXPECT_EQ(edit_distance("stpes", "steps"), 2U);  // a swap is two substitutions
  EXPECT_EQ(edit_distance("step", "steps"), 1U);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3U);
  EXPECT_EQ(edit_distance("", "abc"), 3U);
}

TEST(NearestWordTest, TheNearestWithinTheBoundOrNone) {
  constexpr std::string_view kCommands[] = {"list", "get", "promote", "status", "abort"};
  EXPECT_EQ(nearest_word("statsu", kCommands), "status"sv);
  EXPECT_EQ(nearest_word("promot", kCommands), "promote"sv);
  EXPECT_EQ(nearest_word("frobnicate", kCommands), std::nullopt);
  EXPECT_EQ(nearest_word("lst", kCommands, 1), "list"sv);
  EXPECT_EQ(nearest_word("ls", kCommands, 1), std::nullopt);
}

}  // namespace
}  // namespace autocanary::common

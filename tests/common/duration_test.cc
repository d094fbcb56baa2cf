#include "common/duration.h"

#include <gtest/gtest.h>

namespace autocanary::common {
namespace {

using namespace std::chrono_literals;

TEST(DurationTest, ParsesGoDurations) {
  EXPECT_EQ(parse_duration("10s"), 10s);
  EXPECT_EQ(parse_duration("250ms"), 250ms);
  EXPECT_EQ(parse_duration("1m30s"), 90s);
  EXPECT_EQ(parse_duration("1.5h"), 90min);
  EXPECT_EQ(parse_duration("2h45m"), 165min);
  EXPECT_EQ(parse_duration("300us"), 300us);
  EXPECT_EQ(parse_duration("0"), 0s);
  EXPECT_EQ(parse_duration("-5s"), -5s);
}

TEST(DurationTest, RejectsMalformedText) {
  for (const char* bad : {"", "10", "s", "1x", "ten seconds", "1.2.3s", "-", "5m3"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(parse_duration(bad).has_value());
  }
}

TEST(DurationTest, FormatsShortestForm) {
  EXPECT_EQ(format_duration(0s), "0s");
  EXPECT_EQ(format_duration(90s), "1m30s");
  EXPECT_EQ(format_duration(250ms), "250ms");
  EXPECT_EQ(format_duration(1500ms), "1.5s");
  EXPECT_EQ(format_duration(2h), "2h");
  EXPECT_EQ(format_duration(-30s), "-30s");
}

}  // namespace
}  // namespace autocanary::common

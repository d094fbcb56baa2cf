#include "common/rfc3339.h"

#include <gtest/gtest.h>

namespace autocanary::common {
namespace {

using namespace std::chrono_literals;

TEST(Rfc3339Test, FormatsAndParsesUtc) {
  const auto parsed = parse_rfc3339("2026-11-22T10:00:05Z");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(format_rfc3339(*parsed), "2026-11-22T10:00:05Z");
  EXPECT_EQ(format_rfc3339_millis(*parsed + 678ms), "2026-11-22T10:00:05.678Z");
  const auto fractional = parse_rfc3339("2026-11-22T10:00:05.25Z");
  ASSERT_TRUE(fractional);
  EXPECT_EQ(*fractional - *parsed, 250ms);
}

TEST(Rfc3339Test, RejectsOtherText) {
  for (const char* bad : {"", "yesterday", "2026-11-22", "2026-11-22T10:00:05+01:00", "2026-11-22T10:00:05"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(parse_rfc3339(bad).has_value());
  }
}

}  // namespace
}  // namespace autocanary::common

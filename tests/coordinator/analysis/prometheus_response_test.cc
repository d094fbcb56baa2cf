#include "coordinator/analysis/prometheus_response.h"

#include <gtest/gtest.h>

#include <cmath>

#include "tests/support/fixtures.h"

namespace autocanary::analysis {
namespace {

using Kind = Measurement::Kind;

Measurement read(const char* fixture, int status = 200) {
  return read_prometheus_answer(status, testing::load_text(std::string("prometheus/") + fixture), "the-query");
}

TEST(PrometheusResponseTest, OneSeriesIsItsValue) {
  const Measurement m = read("vector-one.json");
  EXPECT_EQ(m.kind, Kind::kValue);
  EXPECT_DOUBLE_EQ(m.value, 0.002);
}

TEST(PrometheusResponseTest, AScalarIsItsValueInfinityIncluded) {
  const Measurement m = read("scalar.json");
  EXPECT_EQ(m.kind, Kind::kValue);
  EXPECT_TRUE(std::isinf(m.value));
}

TEST(PrometheusResponseTest, NoSeriesOrNaNIsNoData) {
  const Measurement empty = read("vector-empty.json");
  EXPECT_EQ(empty.kind, Kind::kNoData);
  EXPECT_EQ(empty.message, "the query returned no series: the-query");
  EXPECT_EQ(read("vector-nan.json").kind, Kind::kNoData);
}

TEST(PrometheusResponseTest, SeveralSeriesAreAnErrorNotAPick) {
  const Measurement m = read("vector-two.json");
  EXPECT_EQ(m.kind, Kind::kError);
  EXPECT_NE(m.message.find("returned 2 series"), std::string::npos);
}

TEST(PrometheusResponseTest, ARangeResultIsAnError) {
  EXPECT_EQ(read("matrix.json").kind, Kind::kError);
}

TEST(PrometheusResponseTest, ARefusedQuerySaysWhy) {
  const Measurement m = read("bad-query.json", 400);
  EXPECT_EQ(m.kind, Kind::kError);
  EXPECT_EQ(m.message.substr(0, 57), "Prometheus refused the query (HTTP 400, bad_data): invali");
  EXPECT_NE(m.message.find("; query: the-query"), std::string::npos);
}

TEST(PrometheusResponseTest, ABodyThatIsNotJsonIsAnError) {
  const Measurement m = read_prometheus_answer(502, "<html>Bad Gateway</html>", "q");
  EXPECT_EQ(m.kind, Kind::kError);
  EXPECT_EQ(m.message, "Prometheus answered HTTP 502 without a JSON body");
}

}  // namespace
}  // namespace autocanary::analysis

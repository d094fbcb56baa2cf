#include "shim/shim_metrics.h"

#include <gtest/gtest.h>

namespace autocanary::shim {
namespace {

bool contains(const std::string& text, std::string_view line) { return text.find(line) != std::string::npos; }

TEST(ShimMetricsTest, ProbeResultsAndLatencyByProbe) {
  ShimMetrics metrics({"tcp:8080", "http:8080/a\"b"});
  metrics.observe_probe(0, true, 0.000244140625);  // powers of two: the sum is exact
  metrics.observe_probe(0, false, 0.015625);
  metrics.observe_probe(1, true, 7.0);
  std::string text;
  metrics.render(text);
  EXPECT_TRUE(contains(text, "autocanary_shim_probe_results_total{probe=\"tcp:8080\",result=\"success\"} 1\n"));
  EXPECT_TRUE(contains(text, "autocanary_shim_probe_results_total{probe=\"tcp:8080\",result=\"failure\"} 1\n"));
  EXPECT_TRUE(contains(text, "autocanary_shim_probe_results_total{probe=\"http:8080/a\\\"b\",result=\"success\"} 1\n"));
  EXPECT_TRUE(contains(text, "autocanary_shim_probe_duration_seconds_bucket{probe=\"tcp:8080\",le=\"0.0005\"} 1\n"));
  EXPECT_TRUE(contains(text, "autocanary_shim_probe_duration_seconds_bucket{probe=\"tcp:8080\",le=\"0.025\"} 2\n"));
  EXPECT_TRUE(contains(text, "autocanary_shim_probe_duration_seconds_bucket{probe=\"http:8080/a\\\"b\",le=\"5\"} 0\n"));
  EXPECT_TRUE(
      contains(text, "autocanary_shim_probe_duration_seconds_bucket{probe=\"http:8080/a\\\"b\",le=\"+Inf\"} 1\n"));
  EXPECT_TRUE(contains(text, "autocanary_shim_probe_duration_seconds_count{probe=\"tcp:8080\"} 2\n"));
  EXPECT_TRUE(contains(text, "autocanary_shim_probe_duration_seconds_sum{probe=\"tcp:8080\"} 0.015869140625\n"));
  EXPECT_TRUE(contains(text, "# TYPE autocanary_shim_probe_duration_seconds histogram\n"));
}

TEST(ShimMetricsTest, ReadinessFigures) {
  ShimMetrics metrics({"tcp:1"});
  std::string before;
  metrics.render(before);
  EXPECT_TRUE(contains(before, "autocanary_shim_ready 0\n"));
  EXPECT_TRUE(contains(before, "autocanary_shim_readiness_flaps_total 0\n"));
  EXPECT_FALSE(contains(before, "time_to_ready")) << "no value until the shim is ready";
  metrics.set_ready(true);
  metrics.set_flaps(2);
  metrics.set_time_to_ready(1.25);
  std::string after;
  metrics.render(after);
  EXPECT_TRUE(contains(after, "autocanary_shim_ready 1\n"));
  EXPECT_TRUE(contains(after, "# TYPE autocanary_shim_readiness_flaps_total counter\n"));
  EXPECT_TRUE(contains(after, "autocanary_shim_readiness_flaps_total 2\n"));
  EXPECT_TRUE(contains(after, "autocanary_shim_time_to_ready_seconds 1.25\n"));
}

}  // namespace
}  // namespace autocanary::shim

#include "common/metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace autocanary::common {
namespace {

TEST(MetricsTest, RendersCountersAndLabelledCounters) {
  MetricsRegistry registry;
  auto& total = registry.add<Counter>("things_total", "Things.");
  auto& by_kind = registry.add<CounterVec>("decisions_total", "Decisions.", "decision");
  total.inc(3);
  by_kind.inc("marked");
  by_kind.inc("marked");
  by_kind.inc("say \"hi\"");
  const std::string text = registry.render();
  EXPECT_NE(text.find("# TYPE things_total counter\nthings_total 3\n"), std::string::npos);
  EXPECT_NE(text.find("decisions_total{decision=\"marked\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("decisions_total{decision=\"say \\\"hi\\\"\"} 1\n"), std::string::npos);
}

TEST(MetricsTest, RendersValuesWithSeveralLabels) {
  MetricsRegistry registry;
  auto& measured = registry.add<LabeledValues>("measurements_total", "Measurements.", LabeledValues::Type::kCounter,
                                               std::vector<std::string>{"analysis", "outcome"});
  auto& last = registry.add<LabeledValues>("last_value", "Last value.", LabeledValues::Type::kGauge,
                                           std::vector<std::string>{"analysis"});
  measured.inc({"error-rate", "Passed"});
  measured.inc({"error-rate", "Passed"});
  last.set({"error-rate"}, 0.5);
  last.set({"error-rate"}, 0.002);
  EXPECT_EQ(measured.value({"error-rate", "Passed"}), 2);
  EXPECT_EQ(measured.value({"error-rate", "Failed"}), 0);
  const std::string text = registry.render();
  EXPECT_NE(text.find("# TYPE measurements_total counter\nmeasurements_total{analysis=\"error-rate\",outcome=\"Passed\"} 2\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE last_value gauge\nlast_value{analysis=\"error-rate\"} 0.002\n"), std::string::npos) << text;
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
  MetricsRegistry registry;
  auto& latency = registry.add<Histogram>("latency_seconds", "Latency.", std::vector<double>{0.001, 0.01});
  latency.observe(0.0005);
  latency.observe(0.005);
  latency.observe(0.5);
  const std::string text = registry.render();
  EXPECT_NE(text.find("latency_seconds_bucket{le=\"0.001\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_bucket{le=\"0.01\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_sum 0.5055\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_count 3\n"), std::string::npos);
}

TEST(MetricsTest, ConcurrentUpdatesAreAllCounted) {
  MetricsRegistry registry;
  auto& by_code = registry.add<CounterVec>("requests_total", "Requests.", "code");
  auto& latency = registry.add<Histogram>("h", "H.", std::vector<double>{1});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        by_code.inc("200");
        latency.observe(0.5);
      }
    });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(by_code.value("200"), 40000U);
  EXPECT_EQ(latency.count(), 40000U);
}

TEST(MetricsTest, ResidentMemoryIsReadFromProc) {
  EXPECT_GT(process_resident_bytes(), 1024.0 * 1024.0);
}

}  // namespace
}  // namespace autocanary::common

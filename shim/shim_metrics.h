// The shim's Prometheus families. The probes are fixed at start, so every series
// is an atomic made up front: a probe result or a scrape takes no lock and
// allocates nothing but the scrape's text.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/metrics.h"

namespace autocanary::shim {

class ShimMetrics final : public common::Metric {
 public:
  static constexpr std::array<double, 12> kLatencyBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                            0.05,   0.1,   0.25,   0.5,   1,    5};

  explicit ShimMetrics(const std::vector<std::string>& probe_names);

  void observe_probe(std::size_t probe, bool success, double seconds) noexcept;
  void set_ready(bool ready) noexcept { ready_.store(ready, std::memory_order_relaxed); }
  void set_flaps(std::uint64_t flaps) noexcept { flaps_.store(flaps, std::memory_order_relaxed); }
  void set_time_to_ready(double seconds) noexcept { time_to_ready_.store(seconds, std::memory_order_relaxed); }

  // autocanary_shim_probe_results_total{probe,result}, autocanary_shim_probe_duration_seconds{probe},
  // autocanary_shim_ready, autocanary_shim_readiness_flaps_total and, once ready,
  // autocanary_shim_time_to_ready_seconds.
  void render(std::string& out) const override;

 private:
  struct PerProbe {
    std::string label;  // escaped for the exposition format
    std::atomic<std::uint64_t> successes{0};
    std::atomic<std::uint64_t> failures{0};
    std::array<std::atomic<std::uint64_t>, kLatencyBounds.size()> buckets{};  // not cumulative
    std::atomic<double> seconds{0.0};
  };

  std::size_t count_;
  std::unique_ptr<PerProbe[]> probes_;
  std::atomic<bool> ready_{false};
  std::atomic<std::uint64_t> flaps_{0};
  std::atomic<double> time_to_ready_{-1.0};  // negative: not ready yet
};

}  // namespace autocanary::shim

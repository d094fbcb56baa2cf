// A small Prometheus text-format registry: counters (optionally with one label)
// and fixed-bucket histograms, safe to update from many threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace autocanary::common {

class Metric {
 public:
  virtual ~Metric() = default;
  virtual void render(std::string& out) const = 0;
};

class Counter final : public Metric {
 public:
  Counter(std::string name, std::string help);
  void inc(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }
  void render(std::string& out) const override;

 private:
  std::string name_, help_;
  std::atomic<std::uint64_t> value_{0};
};

// A counter partitioned by the values of one label.
class CounterVec final : public Metric {
 public:
  CounterVec(std::string name, std::string help, std::string label);
  void inc(std::string_view label_value, std::uint64_t n = 1);
  [[nodiscard]] std::uint64_t value(std::string_view label_value) const;
  void render(std::string& out) const override;

 private:
  std::string name_, help_, label_;
  mutable std::mutex mutex_;
  std::map<std::string, std::uint64_t, std::less<>> values_;
};

// Counters or gauges partitioned by the values of several labels, e.g. an
// analysis and its outcome. Label values are given in the order of the names.
class LabeledValues final : public Metric {
 public:
  enum class Type { kCounter, kGauge };
  LabeledValues(std::string name, std::string help, Type type, std::vector<std::string> labels);
  void inc(const std::vector<std::string>& label_values, double n = 1);
  void set(const std::vector<std::string>& label_values, double value);
  [[nodiscard]] double value(const std::vector<std::string>& label_values) const;
  void render(std::string& out) const override;

 private:
  std::string name_, help_;
  Type type_;
  std::vector<std::string> labels_;
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, double> values_;
};

class Histogram final : public Metric {
 public:
  Histogram(std::string name, std::string help, std::vector<double> upper_bounds);
  void observe(double value) noexcept;
  [[nodiscard]] std::uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }
  void render(std::string& out) const override;

 private:
  std::string name_, help_;
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // one per bound, not cumulative
  std::atomic<std::uint64_t> count_{0};
  std::atomic<double> sum_{0.0};
};

// A value read when scraped, e.g. the process's resident memory.
class GaugeFunc final : public Metric {
 public:
  GaugeFunc(std::string name, std::string help, std::function<double()> read);
  void render(std::string& out) const override;

 private:
  std::string name_, help_;
  std::function<double()> read_;
};

class MetricsRegistry {
 public:
  template <typename M, typename... Args>
  M& add(Args&&... args) {
    auto metric = std::make_unique<M>(std::forward<Args>(args)...);
    M& ref = *metric;
    const std::lock_guard lock(mutex_);
    metrics_.push_back(std::move(metric));
    return ref;
  }
  [[nodiscard]] std::string render() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Metric>> metrics_;
};

// Resident set size of this process in bytes, from /proc/self/statm.
[[nodiscard]] double process_resident_bytes();

}  // namespace autocanary::common

#include "common/metrics.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>

namespace autocanary::common {

namespace {

// Shortest text that reads back as the same double: 0.00025, not 0.00025000000000000001.
std::string format_number(double value) {
  char buffer[40];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

void header(std::string& out, const std::string& name, const std::string& help,
            std::string_view type) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " ";
  out += type;
  out += "\n";
}

// Label values are escaped as the exposition format asks.
std::string escape_label(std::string_view value) {
  std::string escaped;
  for (char c : value) {
    if (c == '\\' || c == '"') escaped += '\\';
    if (c == '\n') {
      escaped += "\\n";
      continue;
    }
    escaped += c;
  }
  return escaped;
}

}  // namespace

Counter::Counter(std::string name, std::string help) : name_(std::move(name)), help_(std::move(help)) {}

void Counter::render(std::string& out) const {
  header(out, name_, help_, "counter");
  out += name_ + " " + std::to_string(value()) + "\n";
}

CounterVec::CounterVec(std::string name, std::string help, std::string label)
    : name_(std::move(name)), help_(std::move(help)), label_(std::move(label)) {}

void CounterVec::inc(std::string_view label_value, std::uint64_t n) {
  const std::lock_guard lock(mutex_);
  const auto found = values_.find(label_value);
  if (found != values_.end()) {
    found->second += n;
  } else {
    values_.emplace(std::string(label_value), n);
  }
}

std::uint64_t CounterVec::value(std::string_view label_value) const {
  const std::lock_guard lock(mutex_);
  const auto found = values_.find(label_value);
  return found == values_.end() ? 0 : found->second;
}

void CounterVec::render(std::string& out) const {
  header(out, name_, help_, "counter");
  const std::lock_guard lock(mutex_);
  for (const auto& [label_value, value] : values_)
    out += name_ + "{" + label_ + "=\"" + escape_label(label_value) + "\"} " +
           std::to_string(value) + "\n";
}

LabeledValues::LabeledValues(std::string name, std::string help, Type type, std::vector<std::string> labels)
    : name_(std::move(name)), help_(std::move(help)), type_(type), labels_(std::move(labels)) {}

void LabeledValues::inc(const std::vector<std::string>& label_values, double n) {
  const std::lock_guard lock(mutex_);
  values_[label_values] += n;
}

void LabeledValues::set(const std::vector<std::string>& label_values, double value) {
  const std::lock_guard lock(mutex_);
  values_[label_values] = value;
}

double LabeledValues::value(const std::vector<std::string>& label_values) const {
  const std::lock_guard lock(mutex_);
  const auto found = values_.find(label_values);
  return found == values_.end() ? 0 : found->second;
}

void LabeledValues::render(std::string& out) const {
  header(out, name_, help_, type_ == Type::kCounter ? "counter" : "gauge");
  const std::lock_guard lock(mutex_);
  for (const auto& [label_values, value] : values_) {
    out += name_ + "{";
    for (std::size_t i = 0; i < labels_.size() && i < label_values.size(); ++i)
      out += (i == 0 ? "" : ",") + labels_[i] + "=\"" + escape_label(label_values[i]) + "\"";
    out += "} " + format_number(value) + "\n";
  }
}

Histogram::Histogram(std::string name, std::string help, std::vector<double> upper_bounds)
    : name_(std::move(name)),
      help_(std::move(help)),
      bounds_(std::move(upper_bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size())) {
  std::sort(bounds_.begin(), bounds_.end());
}

void Histogram::observe(double value) noexcept {
  const auto bound = std::lower_bound(bounds_.begin(), bounds_.end(), value);
  if (bound != bounds_.end())
    buckets_[static_cast<std::size_t>(bound - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  double sum = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(sum, sum + value, std::memory_order_relaxed)) {
  }
}

void Histogram::render(std::string& out) const {
  header(out, name_, help_, "histogram");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    out += name_ + "_bucket{le=\"" + format_number(bounds_[i]) + "\"} " +
           std::to_string(cumulative) + "\n";
  }
  out += name_ + "_bucket{le=\"+Inf\"} " + std::to_string(count()) + "\n";
  out += name_ + "_sum " + format_number(sum_.load(std::memory_order_relaxed)) + "\n";
  out += name_ + "_count " + std::to_string(count()) + "\n";
}

GaugeFunc::GaugeFunc(std::string name, std::string help, std::function<double()> read)
    : name_(std::move(name)), help_(std::move(help)), read_(std::move(read)) {}

void GaugeFunc::render(std::string& out) const {
  header(out, name_, help_, "gauge");
  out += name_ + " " + format_number(read_()) + "\n";
}

std::string MetricsRegistry::render() const {
  std::string out;
  const std::lock_guard lock(mutex_);
  for (const auto& metric : metrics_) metric->render(out);
  return out;
}

// Plain read(2), not a stream: the shim renders this, and the first stream of
// a process initialises locales, which would cost it resident pages.
double process_resident_bytes() {
  const int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char text[128];
  const ssize_t got = ::read(fd, text, sizeof text - 1);
  ::close(fd);
  if (got <= 0) return 0;
  const char* end = text + got;
  const char* second = std::find(static_cast<const char*>(text), end, ' ');  // "total resident shared …"
  std::uint64_t resident_pages = 0;
  if (second == end || std::from_chars(second + 1, end, resident_pages).ec != std::errc()) return 0;
  return static_cast<double>(resident_pages) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

}  // namespace autocanary::common

#include "shim/shim_metrics.h"

#include <algorithm>
#include <charconv>

namespace autocanary::shim {

namespace {

void append_number(std::string& out, double value) {
  char buffer[40];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

// Bucket bounds as people write them: 0.0005, not 5e-04.
void append_bound(std::string& out, double value) {
  char buffer[40];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed);
  out.append(buffer, result.ptr);
}

void append_number(std::string& out, std::uint64_t value) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

void header(std::string& out, std::string_view name, std::string_view help, std::string_view type) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n# TYPE ").append(name);
  out.append(" ").append(type).append("\n");
}

std::string escape_label(std::string_view value) {
  std::string escaped;
  for (const char c : value) {
    if (c == '\n') {
      escaped += "\\n";
      continue;
    }
    if (c == '\\' || c == '"') escaped += '\\';
    escaped += c;
  }
  return escaped;
}

}  // namespace

ShimMetrics::ShimMetrics(const std::vector<std::string>& probe_names)
    : count_(probe_names.size()), probes_(std::make_unique<PerProbe[]>(probe_names.size())) {
  for (std::size_t i = 0; i < count_; ++i) probes_[i].label = escape_label(probe_names[i]);
}

void ShimMetrics::observe_probe(std::size_t probe, bool success, double seconds) noexcept {
  if (probe >= count_) return;
  PerProbe& series = probes_[probe];
  (success ? series.successes : series.failures).fetch_add(1, std::memory_order_relaxed);
  const auto bound = std::lower_bound(kLatencyBounds.begin(), kLatencyBounds.end(), seconds);
  if (bound != kLatencyBounds.end())
    series.buckets[static_cast<std::size_t>(bound - kLatencyBounds.begin())].fetch_add(1, std::memory_order_relaxed);
  // Only the probing thread adds; a plain load and store is enough.
  series.seconds.store(series.seconds.load(std::memory_order_relaxed) + seconds, std::memory_order_relaxed);
}

void ShimMetrics::render(std::string& out) const {
  header(out, "autocanary_shim_probe_results_total", "Probe results, by probe and result.", "counter");
  for (std::size_t i = 0; i < count_; ++i) {
    for (const auto& [result, counter] : {std::pair{"success", &probes_[i].successes},
                                          std::pair{"failure", &probes_[i].failures}}) {
      out.append("autocanary_shim_probe_results_total{probe=\"").append(probes_[i].label);
      out.append("\",result=\"").append(result).append("\"} ");
      append_number(out, counter->load(std::memory_order_relaxed));
      out += '\n';
    }
  }

  header(out, "autocanary_shim_probe_duration_seconds", "Time one probe took, by probe.", "histogram");
  for (std::size_t i = 0; i < count_; ++i) {
    const PerProbe& series = probes_[i];
    const std::string prefix = "autocanary_shim_probe_duration_seconds_bucket{probe=\"" + series.label + "\",le=\"";
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < kLatencyBounds.size(); ++b) {
      cumulative += series.buckets[b].load(std::memory_order_relaxed);
      out += prefix;
      append_bound(out, kLatencyBounds[b]);
      out += "\"} ";
      append_number(out, cumulative);
      out += '\n';
    }
    const std::uint64_t count =
        series.successes.load(std::memory_order_relaxed) + series.failures.load(std::memory_order_relaxed);
    out += prefix + "+Inf\"} ";
    append_number(out, count);
    out.append("\nautocanary_shim_probe_duration_seconds_sum{probe=\"").append(series.label).append("\"} ");
    append_number(out, series.seconds.load(std::memory_order_relaxed));
    out.append("\nautocanary_shim_probe_duration_seconds_count{probe=\"").append(series.label).append("\"} ");
    append_number(out, count);
    out += '\n';
  }

  header(out, "autocanary_shim_ready", "1 while /ready answers 200.", "gauge");
  out.append("autocanary_shim_ready ").append(ready_.load(std::memory_order_relaxed) ? "1" : "0").append("\n");

  header(out, "autocanary_shim_readiness_flaps_total", "Transitions from ready to not ready.", "counter");
  out += "autocanary_shim_readiness_flaps_total ";
  append_number(out, flaps_.load(std::memory_order_relaxed));
  out += '\n';

  const double time_to_ready = time_to_ready_.load(std::memory_order_relaxed);
  if (time_to_ready >= 0) {
    header(out, "autocanary_shim_time_to_ready_seconds", "From the shim's start to its first ready verdict.",
           "gauge");
    out += "autocanary_shim_time_to_ready_seconds ";
    append_number(out, time_to_ready);
    out += '\n';
  }
}

}  // namespace autocanary::shim

// Measures AdmissionHandler::review() — parse, decide, respond — on a real
// AdmissionReview body, and prints percentiles in microseconds: of the time that
// passed (p50_us, …), and of the CPU time this thread used (cpu_p50_us, …),
// which the machine's other work does not inflate. Then, apart, freeing what the
// answer was built from (free_p50_us, …), which the webhook does once the answer
// is written: the worker spends it, the apiserver does not wait for it.
//
//   review_latency BODY.json [ITERATIONS]
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "webhook/server/admission_handler.h"
#include "webhook/server/review_allocator.h"

using namespace autocanary;
using Clock = std::chrono::steady_clock;

namespace {

double thread_cpu_micros() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e6 + static_cast<double>(now.tv_nsec) / 1e3;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: review_latency BODY.json [ITERATIONS]\n");
    return 2;
  }
  std::ifstream file(argv[1], std::ios::binary);
  if (!file) {
    std::fprintf(stderr, "cannot read %s\n", argv[1]);
    return 1;
  }
  std::ostringstream content;
  content << file.rdbuf();
  const std::string body = content.str();
  const int iterations = argc > 2 ? std::atoi(argv[2]) : 2000;

  server::keep_freed_review_memory_shared();  // as the webhook process does
  common::Logger logger(common::LogLevel::kError);
  common::MetricsRegistry metrics;
  server::AdmissionHandler handler({"autocanary-system", {}, {}, {}}, server::fixed_policy(policy::builtin_default_policy()), logger,
                                   metrics);
  for (int i = 0; i < 50; ++i) (void)handler.review(body, Clock::now() + std::chrono::seconds(10));

  std::vector<double> micros;
  std::vector<double> cpu_micros;
  std::vector<double> free_micros;
  free_micros.reserve(static_cast<std::size_t>(iterations));
  micros.reserve(static_cast<std::size_t>(iterations));
  cpu_micros.reserve(static_cast<std::size_t>(iterations));
  for (int i = 0; i < iterations; ++i) {
    const double cpu_start = thread_cpu_micros();
    const auto start = Clock::now();
    auto reply = handler.review(body, Clock::now() + std::chrono::seconds(10));
    micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    cpu_micros.push_back(thread_cpu_micros() - cpu_start);
    if (reply.status != 200) {
      std::fprintf(stderr, "review failed: %d %s\n", reply.status, reply.body.c_str());
      return 1;
    }
    const auto free_start = Clock::now();
    reply.built_from.reset();
    free_micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - free_start).count());
  }
  std::sort(micros.begin(), micros.end());
  std::sort(cpu_micros.begin(), cpu_micros.end());
  std::sort(free_micros.begin(), free_micros.end());
  auto at = [](const std::vector<double>& sorted, double q) {
    return sorted[static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1))];
  };
  std::printf(
      "body_bytes=%zu iterations=%d p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f cpu_p50_us=%.1f cpu_p99_us=%.1f "
      "free_p50_us=%.1f free_p99_us=%.1f\n",
      body.size(), iterations, at(micros, 0.5), at(micros, 0.9), at(micros, 0.99), micros.back(), at(cpu_micros, 0.5),
      at(cpu_micros, 0.99), at(free_micros, 0.5), at(free_micros, 0.99));
  return 0;
}

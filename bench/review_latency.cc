// Measures AdmissionHandler::review() — parse, decide, respond — on a real
// AdmissionReview body, and prints percentiles in microseconds.
//
//   review_latency BODY.json [ITERATIONS]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "webhook/server/admission_handler.h"

using namespace autocanary;
using Clock = std::chrono::steady_clock;

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

  common::Logger logger(common::LogLevel::kError);
  common::MetricsRegistry metrics;
  server::AdmissionHandler handler({"autocanary-system", {}, {}, {}}, server::fixed_policy(policy::builtin_default_policy()), logger,
                                   metrics);
  for (int i = 0; i < 50; ++i) (void)handler.review(body, Clock::now() + std::chrono::seconds(10));

  std::vector<double> micros;
  micros.reserve(static_cast<std::size_t>(iterations));
  for (int i = 0; i < iterations; ++i) {
    const auto start = Clock::now();
    const auto reply = handler.review(body, Clock::now() + std::chrono::seconds(10));
    micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    if (reply.status != 200) {
      std::fprintf(stderr, "review failed: %d %s\n", reply.status, reply.body.c_str());
      return 1;
    }
  }
  std::sort(micros.begin(), micros.end());
  auto at = [&](double q) { return micros[static_cast<std::size_t>(q * static_cast<double>(micros.size() - 1))]; };
  std::printf("body_bytes=%zu iterations=%d p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f\n", body.size(),
              iterations, at(0.5), at(0.9), at(0.99), micros.back());
  return 0;
}

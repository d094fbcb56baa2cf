// The shim's probing thread: runs each probe when due, one at a time, feeds the
// results to Readiness, and publishes the verdict for the HTTP threads, which
// only ever copy it — a slow probe never holds up /ready.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "common/log.h"
#include "shim/prober.h"
#include "shim/readiness.h"
#include "shim/shim_metrics.h"

namespace autocanary::shim {

struct Verdict {
  bool ready = false;
  std::string reason;
};

class ProbeLoop {
 public:
  using Clock = std::chrono::steady_clock;

  ProbeLoop(std::vector<ProbeTarget> targets, WarmUp warm_up, Prober& prober, ShimMetrics& metrics,
            common::Logger& logger, Clock::time_point started);

  // Probes until stop(); call on the probing thread.
  void run();
  // From any thread: run() returns promptly, a running probe is cancelled.
  void stop();

  [[nodiscard]] Verdict verdict() const;
  // The loop made progress within the longest it could legitimately take (one
  // wake-up plus every probe timing out): what /live reports.
  [[nodiscard]] bool alive(Clock::time_point now) const noexcept;

 private:
  void probe(std::size_t index);
  void publish(bool was_ready);

  std::vector<ProbeTarget> targets_;
  Prober& prober_;
  ShimMetrics& metrics_;
  common::Logger& logger_;
  Clock::time_point started_;
  Readiness readiness_;  // the probing thread's alone
  std::vector<bool> reported_;  // a probe's first result was logged
  Clock::duration stall_limit_;
  std::atomic<Clock::rep> last_progress_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  Verdict verdict_;
};

}  // namespace autocanary::shim

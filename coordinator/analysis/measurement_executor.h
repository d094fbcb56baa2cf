// Measurements run here, off the reconcile workers. A Prometheus query or an
// HTTP gate may take its whole timeout (10 s by default, twice with a sample
// query); on a reconcile worker that would hold every other rollout's pass —
// an abort among them — behind it. A pass instead starts the measurements that
// are due and goes on; a finished one is judged here, kept until its
// rollout's next pass takes it, and announced (`on_finished`) so that the pass
// comes at once. At most one measurement of a check (rollout, analysis,
// revision, step) is under way or waiting to be taken.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "common/rfc3339.h"
#include "coordinator/analysis/analysis_context.h"
#include "coordinator/analysis/analysis_provider.h"
#include "coordinator/analysis/measurement.h"

namespace autocanary::analysis {

// Which check of which rollout a measurement is for.
struct MeasurementKey {
  std::string rollout;  // "namespace/name" of the Deployment
  std::string analysis;
  std::string revision;
  int step = 0;
  auto operator<=>(const MeasurementKey&) const = default;
};

struct MeasurementRequest {
  MeasurementKey key;
  Criteria criteria;
  AnalysisContext context;
  std::unique_ptr<AnalysisProvider> provider;
};

class MeasurementExecutor {
 public:
  using Clock = std::function<common::SystemTime()>;
  // Called on the measuring thread once a measurement is judged and waits to
  // be taken, with the time it took: wakes the rollout, counts it.
  using Finished = std::function<void(const MeasurementKey& key, const MeasurementRecord& record,
                                      std::chrono::duration<double> took)>;

  // `threads` measure at once (0: each measurement runs inside start(), on
  // the caller's thread — for tests that want a pass to measure synchronously).
  MeasurementExecutor(int threads, Clock clock, Finished on_finished);
  // Stops taking measurements and cuts off those under way (a query or a gate
  // waiting for its answer ends at once, see post()); their results are
  // dropped, and `on_finished` is never called after it returns. So a
  // stopping coordinator does not wait out a stalled Prometheus.
  void stop();
  ~MeasurementExecutor() { stop(); }
  MeasurementExecutor(const MeasurementExecutor&) = delete;
  MeasurementExecutor& operator=(const MeasurementExecutor&) = delete;

  // Starts the measurement, unless the same check is under way or its result
  // waits to be taken: false then, and nothing is started.
  bool start(MeasurementRequest request);
  // The finished measurements of `rollout`, judged, in the order they
  // finished; they are no longer kept here.
  [[nodiscard]] std::vector<MeasurementRecord> take(const std::string& rollout);
  // Puts back what a pass took but could not record (the pass failed before
  // its status write): the next pass takes them again.
  void give_back(const std::string& rollout, std::vector<MeasurementRecord> records);
  // The checks of `rollout` under way now.
  [[nodiscard]] std::vector<MeasurementKey> under_way(const std::string& rollout) const;

 private:
  void work(std::stop_token stop);
  void run(MeasurementRequest& request, std::stop_token stop);

  Clock clock_;
  Finished on_finished_;
  mutable std::mutex mutex_;
  std::condition_variable_any wake_;
  std::deque<MeasurementRequest> queued_;
  std::set<MeasurementKey> under_way_;  // queued or measuring
  std::map<std::string, std::vector<MeasurementRecord>> finished_;  // by rollout
  std::vector<std::jthread> threads_;
};

}  // namespace autocanary::analysis

#include "coordinator/analysis/measurement_executor.h"

#include <algorithm>
#include <limits>

namespace autocanary::analysis {

namespace {

bool is_for(const MeasurementRecord& record, const MeasurementKey& key) {
  return record.analysis == key.analysis && record.revision == key.revision && record.step == key.step;
}

}  // namespace

MeasurementExecutor::MeasurementExecutor(int threads, Clock clock, Finished on_finished)
    : clock_(std::move(clock)), on_finished_(std::move(on_finished)) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this](std::stop_token stop) { work(stop); });
}

void MeasurementExecutor::stop() {
  for (auto& thread : threads_) thread.request_stop();
  wake_.notify_all();
  for (auto& thread : threads_)
    if (thread.joinable()) thread.join();
}

bool MeasurementExecutor::start(MeasurementRequest request) {
  {
    const std::lock_guard lock(mutex_);
    if (under_way_.contains(request.key)) return false;
    if (const auto found = finished_.find(request.key.rollout); found != finished_.end())
      for (const MeasurementRecord& waiting : found->second)
        if (is_for(waiting, request.key)) return false;
    under_way_.insert(request.key);
    if (!threads_.empty()) {
      queued_.push_back(std::move(request));
      wake_.notify_one();
      return true;
    }
  }
  run(request, {});
  return true;
}

void MeasurementExecutor::work(std::stop_token stop) {
  while (!stop.stop_requested()) {
    MeasurementRequest request;
    {
      std::unique_lock lock(mutex_);
      if (!wake_.wait(lock, stop, [this] { return !queued_.empty(); })) return;
      request = std::move(queued_.front());
      queued_.pop_front();
    }
    run(request, stop);
  }
}

void MeasurementExecutor::run(MeasurementRequest& request, std::stop_token stop) {
  const auto started = std::chrono::steady_clock::now();
  Measurement measurement = request.provider->measure(request.context, stop);
  if (stop.stop_requested()) {  // cut off: says nothing about the canary
    const std::lock_guard lock(mutex_);
    under_way_.erase(request.key);
    return;
  }
  MeasurementRecord record = judge(request.criteria, measurement);
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  record.analysis = request.key.analysis;
  record.revision = request.key.revision;
  record.step = request.key.step;
  record.measured_at = common::format_rfc3339_millis(clock_());
  {
    const std::lock_guard lock(mutex_);
    under_way_.erase(request.key);
    finished_[request.key.rollout].push_back(record);
  }
  if (on_finished_) on_finished_(request.key, record, took);
}

std::vector<MeasurementRecord> MeasurementExecutor::take(const std::string& rollout) {
  const std::lock_guard lock(mutex_);
  const auto found = finished_.find(rollout);
  if (found == finished_.end()) return {};
  std::vector<MeasurementRecord> records = std::move(found->second);
  finished_.erase(found);
  return records;
}

void MeasurementExecutor::give_back(const std::string& rollout, std::vector<MeasurementRecord> records) {
  if (records.empty()) return;
  const std::lock_guard lock(mutex_);
  std::vector<MeasurementRecord>& waiting = finished_[rollout];
  // Before anything that finished meanwhile: the order they were taken in.
  waiting.insert(waiting.begin(), std::make_move_iterator(records.begin()), std::make_move_iterator(records.end()));
}

std::vector<MeasurementKey> MeasurementExecutor::under_way(const std::string& rollout) const {
  const std::lock_guard lock(mutex_);
  std::vector<MeasurementKey> keys;
  for (auto it = under_way_.lower_bound(MeasurementKey{rollout, "", "", std::numeric_limits<int>::min()});
       it != under_way_.end() && it->rollout == rollout; ++it)
    keys.push_back(*it);
  return keys;
}

}  // namespace autocanary::analysis

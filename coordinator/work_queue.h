// Keys of Deployments waiting for a reconcile pass ("namespace/name"). A key is
// queued at most once; a key added while being processed is processed again
// after; failures come back with per-key exponential backoff. A key waits at
// most once for a later pass too — at the earliest time asked — and not at all
// once it is queued: the pass it gets plans its own next look.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>

namespace autocanary::coordinator {

class WorkQueue {
 public:
  using Clock = std::chrono::steady_clock;

  explicit WorkQueue(std::chrono::milliseconds base_backoff = std::chrono::milliseconds(50),
                     std::chrono::milliseconds max_backoff = std::chrono::milliseconds(30'000))
      : base_backoff_(base_backoff), max_backoff_(max_backoff) {}

  void add(const std::string& key);
  // Queues `key` after `delay`, unless it is queued already or waits for an
  // earlier time.
  void add_after(const std::string& key, std::chrono::milliseconds delay);
  // After a failed pass: again after a delay that doubles with each failure.
  void add_with_backoff(const std::string& key);
  // After a successful pass: the next failure starts from the base delay again.
  void forget(const std::string& key);

  // The next key ready for processing; nullopt once `stop` is requested.
  [[nodiscard]] std::optional<std::string> take(std::stop_token stop);
  // Marks `key` processed (re-queues it if it was added meanwhile).
  void done(const std::string& key);

  // Keys queued or waiting for a later pass.
  [[nodiscard]] std::size_t size() const;

 private:
  void promote_due_locked(Clock::time_point now);
  void forget_delay_locked(const std::string& key);

  const std::chrono::milliseconds base_backoff_;
  const std::chrono::milliseconds max_backoff_;
  mutable std::mutex mutex_;
  std::condition_variable_any changed_;
  std::deque<std::string> ready_;
  std::set<std::string> queued_;
  std::set<std::string> processing_;
  std::set<std::string> dirty_;  // added while processing
  std::set<std::pair<Clock::time_point, std::string>> delayed_;  // by due time
  std::map<std::string, Clock::time_point> due_;                  // the same, by key
  std::map<std::string, int> failures_;
};

}  // namespace autocanary::coordinator

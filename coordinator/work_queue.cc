#include "coordinator/work_queue.h"

#include <algorithm>

namespace autocanary::coordinator {

void WorkQueue::add(const std::string& key) {
  {
    const std::lock_guard lock(mutex_);
    if (processing_.contains(key)) {
      dirty_.insert(key);
      return;
    }
    if (!queued_.insert(key).second) return;
    forget_delay_locked(key);  // its pass plans the next look
    ready_.push_back(key);
  }
  changed_.notify_one();
}

void WorkQueue::forget_delay_locked(const std::string& key) {
  const auto found = due_.find(key);
  if (found == due_.end()) return;
  delayed_.erase({found->second, key});
  due_.erase(found);
}

void WorkQueue::add_after(const std::string& key, std::chrono::milliseconds delay) {
  if (delay <= std::chrono::milliseconds(0)) {
    add(key);
    return;
  }
  {
    const std::lock_guard lock(mutex_);
    if (queued_.contains(key)) return;  // a pass comes sooner
    const Clock::time_point at = Clock::now() + delay;
    if (const auto found = due_.find(key); found != due_.end()) {
      if (found->second <= at) return;  // an earlier look is due already
      delayed_.erase({found->second, key});
    }
    delayed_.emplace(at, key);
    due_[key] = at;
  }
  changed_.notify_one();
}

void WorkQueue::add_with_backoff(const std::string& key) {
  std::chrono::milliseconds delay;
  {
    const std::lock_guard lock(mutex_);
    const int failures = std::min(failures_[key]++, 20);
    delay = std::min(max_backoff_, std::chrono::milliseconds(base_backoff_.count() << failures));
  }
  add_after(key, delay);
}

void WorkQueue::forget(const std::string& key) {
  const std::lock_guard lock(mutex_);
  failures_.erase(key);
}

void WorkQueue::promote_due_locked(Clock::time_point now) {
  while (!delayed_.empty() && delayed_.begin()->first <= now) {
    std::string key = delayed_.begin()->second;
    delayed_.erase(delayed_.begin());
    due_.erase(key);
    if (processing_.contains(key)) {
      dirty_.insert(key);
    } else if (queued_.insert(key).second) {
      ready_.push_back(std::move(key));
    }
  }
}

std::optional<std::string> WorkQueue::take(std::stop_token stop) {
  std::unique_lock lock(mutex_);
  while (!stop.stop_requested()) {
    promote_due_locked(Clock::now());
    if (!ready_.empty()) {
      std::string key = std::move(ready_.front());
      ready_.pop_front();
      queued_.erase(key);
      processing_.insert(key);
      return key;
    }
    if (delayed_.empty()) {
      changed_.wait(lock, stop, [&] { return !ready_.empty() || !delayed_.empty(); });
    } else {
      changed_.wait_until(lock, stop, delayed_.begin()->first, [&] { return !ready_.empty(); });
    }
  }
  return std::nullopt;
}

void WorkQueue::done(const std::string& key) {
  bool again = false;
  {
    const std::lock_guard lock(mutex_);
    processing_.erase(key);
    again = dirty_.erase(key) > 0;
  }
  if (again) add(key);
}

std::size_t WorkQueue::size() const {
  const std::lock_guard lock(mutex_);
  return ready_.size() + delayed_.size();
}

}  // namespace autocanary::coordinator

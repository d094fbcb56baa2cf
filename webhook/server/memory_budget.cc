#include "webhook/server/memory_budget.h"

namespace autocanary::server {

std::optional<MemoryBudget::Reservation> MemoryBudget::reserve(std::size_t bytes, Clock::time_point deadline) {
  if (bytes > capacity_) return std::nullopt;
  std::unique_lock lock(mutex_);
  if (!freed_.wait_until(lock, deadline, [&] { return capacity_ - in_use_ >= bytes; })) return std::nullopt;
  in_use_ += bytes;
  return Reservation(*this, bytes);
}

std::size_t MemoryBudget::in_use() const {
  const std::lock_guard lock(mutex_);
  return in_use_;
}

void MemoryBudget::release(std::size_t bytes) noexcept {
  {
    const std::lock_guard lock(mutex_);
    in_use_ -= bytes;
  }
  // Any waiter may fit now, not only the first.
  freed_.notify_all();
}

}  // namespace autocanary::server

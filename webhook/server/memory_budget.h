// Bytes that reviews in flight may hold at once. Each request reserves the most
// a review of its length can take before its body is read, and shrinks that to
// what its body can take once read, so the webhook's worst case is this budget,
// not workers × the largest body; a request that cannot get its share in time is
// answered 429 and holds nothing.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>

namespace autocanary::server {

class MemoryBudget {
 public:
  using Clock = std::chrono::steady_clock;

  // Gives its bytes back when destroyed.
  class Reservation {
   public:
    Reservation(Reservation&& other) noexcept : budget_(other.budget_), bytes_(other.bytes_) { other.budget_ = nullptr; }
    Reservation& operator=(Reservation&&) = delete;
    ~Reservation() {
      if (budget_ != nullptr) budget_->release(bytes_);
    }
    [[nodiscard]] std::size_t bytes() const noexcept { return bytes_; }
    // Gives back what is beyond `bytes`, once the request knows it needs less.
    void shrink_to(std::size_t bytes) noexcept {
      if (bytes >= bytes_) return;
      budget_->release(bytes_ - bytes);
      bytes_ = bytes;
    }

   private:
    friend class MemoryBudget;
    Reservation(MemoryBudget& budget, std::size_t bytes) noexcept : budget_(&budget), bytes_(bytes) {}
    MemoryBudget* budget_;
    std::size_t bytes_;
  };

  explicit MemoryBudget(std::size_t capacity) noexcept : capacity_(capacity) {}

  // `bytes` once they are free, or nullopt at `deadline` (at once when more than
  // the whole budget is asked for).
  [[nodiscard]] std::optional<Reservation> reserve(std::size_t bytes, Clock::time_point deadline);

  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] std::size_t in_use() const;

 private:
  void release(std::size_t bytes) noexcept;

  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable freed_;
  std::size_t in_use_ = 0;
};

}  // namespace autocanary::server

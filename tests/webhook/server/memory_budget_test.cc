#include "webhook/server/memory_budget.h"

#include <gtest/gtest.h>

#include <thread>

namespace autocanary::server {
namespace {

using namespace std::chrono_literals;

MemoryBudget::Clock::time_point later() { return MemoryBudget::Clock::now() + 60s; }

TEST(MemoryBudgetTest, ReservationsShareTheCapacityAndGiveTheirBytesBack) {
  MemoryBudget budget(100);
  {
    auto first = budget.reserve(60, later());
    ASSERT_TRUE(first);
    auto second = budget.reserve(40, later());
    ASSERT_TRUE(second);
    EXPECT_EQ(budget.in_use(), 100u);
    EXPECT_FALSE(budget.reserve(1, MemoryBudget::Clock::now()));
  }
  EXPECT_EQ(budget.in_use(), 0u);
}

TEST(MemoryBudgetTest, MoreThanTheWholeBudgetIsRefusedWithoutWaiting) {
  MemoryBudget budget(100);
  EXPECT_FALSE(budget.reserve(101, later()));  // returns at once, or the test hangs
  EXPECT_EQ(budget.in_use(), 0u);
}

TEST(MemoryBudgetTest, AWaitingRequestGetsItsShareWhenAnotherEnds) {
  MemoryBudget budget(100);
  auto holder = std::make_unique<MemoryBudget::Reservation>(*budget.reserve(100, later()));
  std::thread release([&] {
    std::this_thread::sleep_for(20ms);
    holder.reset();
  });
  const auto waited = budget.reserve(100, later());
  release.join();
  ASSERT_TRUE(waited);
  EXPECT_EQ(waited->bytes(), 100u);
}

TEST(MemoryBudgetTest, AShrunkReservationLetsAnotherIn) {
  MemoryBudget budget(100);
  auto first = budget.reserve(100, later());
  ASSERT_TRUE(first);
  first->shrink_to(30);
  first->shrink_to(50);  // never grows
  EXPECT_EQ(first->bytes(), 30u);
  EXPECT_TRUE(budget.reserve(70, MemoryBudget::Clock::now()));
}

TEST(MemoryBudgetTest, AMovedReservationGivesItsBytesBackOnce) {
  MemoryBudget budget(100);
  {
    auto first = budget.reserve(70, later());
    ASSERT_TRUE(first);
    MemoryBudget::Reservation moved(std::move(*first));
    EXPECT_EQ(budget.in_use(), 70u);
  }
  EXPECT_EQ(budget.in_use(), 0u);
}

}  // namespace
}  // namespace autocanary::server

#include "coordinator/work_queue.h"

#include <gtest/gtest.h>

#include <thread>

namespace autocanary::coordinator {
namespace {

using namespace std::chrono_literals;

TEST(WorkQueueTest, AKeyIsQueuedOnce) {
  WorkQueue queue;
  queue.add("ns/a");
  queue.add("ns/b");
  queue.add("ns/a");
  std::stop_source stop;
  EXPECT_EQ(queue.take(stop.get_token()), "ns/a");
  EXPECT_EQ(queue.take(stop.get_token()), "ns/b");
  EXPECT_EQ(queue.size(), 0U);
}

TEST(WorkQueueTest, AKeyAddedWhileProcessingComesBackAfter) {
  WorkQueue queue;
  std::stop_source stop;
  queue.add("ns/a");
  ASSERT_EQ(queue.take(stop.get_token()), "ns/a");
  queue.add("ns/a");
  EXPECT_EQ(queue.size(), 0U) << "not handed out twice at once";
  queue.done("ns/a");
  EXPECT_EQ(queue.take(stop.get_token()), "ns/a");
}

TEST(WorkQueueTest, DelayedKeysWaitTheirTurn) {
  WorkQueue queue;
  std::stop_source stop;
  const auto start = std::chrono::steady_clock::now();
  queue.add_after("ns/later", 60ms);
  queue.add("ns/now");
  EXPECT_EQ(queue.take(stop.get_token()), "ns/now");
  EXPECT_EQ(queue.take(stop.get_token()), "ns/later");
  EXPECT_GE(std::chrono::steady_clock::now() - start, 60ms);
}

TEST(WorkQueueTest, AKeyWaitsForALaterPassOnceAtTheEarliestTimeAsked) {
  WorkQueue queue;
  std::stop_source stop;
  queue.add_after("ns/a", 1h);
  queue.add_after("ns/a", 20ms);
  queue.add_after("ns/a", 30min);
  EXPECT_EQ(queue.size(), 1U) << "one later pass, not three";
  EXPECT_EQ(queue.take(stop.get_token()), "ns/a") << "at the earliest: 20 ms, not an hour";
  queue.done("ns/a");
  EXPECT_EQ(queue.size(), 0U) << "the later times were dropped with it";
}

TEST(WorkQueueTest, AQueuedKeyDropsItsLaterPass) {
  WorkQueue queue;
  std::stop_source stop;
  queue.add_after("ns/a", 1h);
  queue.add("ns/a");
  queue.add_after("ns/a", 2h);
  EXPECT_EQ(queue.size(), 1U);
  EXPECT_EQ(queue.take(stop.get_token()), "ns/a");
  queue.done("ns/a");
  EXPECT_EQ(queue.size(), 0U) << "its pass plans the next look itself";
}

// A routed rollout's end: its pass asks for the drain's look (3 s) while an
// earlier pass's settle recheck (5 s) waits; the drain's, being earlier, is
// the one kept — whichever came first — and one asked while the key is being
// processed survives the end of that pass.
TEST(WorkQueueTest, TheDrainsEarlierLookIsKeptBesideALaterOne) {
  WorkQueue queue;
  std::stop_source stop;
  queue.add_after("ns/a", 1h);  // an earlier pass's settle recheck
  queue.add("ns/a");            // an event: its pass plans the next look
  EXPECT_EQ(queue.take(stop.get_token()), "ns/a");
  queue.add_after("ns/a", 30ms);  // asked while the pass runs: the drain
  queue.done("ns/a");
  queue.add_after("ns/a", 1h);  // and a later look
  EXPECT_EQ(queue.size(), 1U);
  // Without the drain's entry this would wait the hour (a test timeout).
  EXPECT_EQ(queue.take(stop.get_token()), "ns/a");
  queue.done("ns/a");
  EXPECT_EQ(queue.size(), 0U);
}

TEST(WorkQueueTest, BackoffDoublesUntilForgotten) {
  WorkQueue queue(20ms, 1s);
  std::stop_source stop;
  auto time_to_return = [&] {
    const auto start = std::chrono::steady_clock::now();
    queue.add_with_backoff("ns/a");
    EXPECT_EQ(queue.take(stop.get_token()), "ns/a");
    queue.done("ns/a");
    return std::chrono::steady_clock::now() - start;
  };
  EXPECT_GE(time_to_return(), 20ms);
  EXPECT_GE(time_to_return(), 40ms);
  EXPECT_GE(time_to_return(), 80ms);
  queue.forget("ns/a");
  EXPECT_LT(time_to_return(), 80ms);
}

TEST(WorkQueueTest, TakeReturnsWhenStopped) {
  WorkQueue queue;
  std::stop_source stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(20ms);
    stop.request_stop();
  });
  EXPECT_FALSE(queue.take(stop.get_token()));
  stopper.join();
}

}  // namespace
}  // namespace autocanary::coordinator

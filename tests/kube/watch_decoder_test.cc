#include "kube/watch_decoder.h"

#include <gtest/gtest.h>

#include <vector>

namespace autocanary::kube {
namespace {

const std::string kAdded = R"({"type":"ADDED","object":{"kind":"ConfigMap",)"
                           R"("metadata":{"name":"web","resourceVersion":"10"}}})";
const std::string kBookmark =
    R"({"type":"BOOKMARK","object":{"kind":"ConfigMap","metadata":{"resourceVersion":"12"}}})";
const std::string kExpired = R"({"type":"ERROR","object":{"kind":"Status",)"
                             R"("status":"Failure","reason":"Expired","code":410}})";

struct Collected {
  std::vector<WatchEvent> events;
  WatchHandler handler() {
    return [this](WatchEvent&& event) {
      events.push_back(std::move(event));
      return true;
    };
  }
};

TEST(WatchDecoderTest, DecodesEachEventType) {
  for (const auto& [name, type] : {std::pair{"ADDED", WatchEventType::kAdded},
                                   std::pair{"MODIFIED", WatchEventType::kModified},
                                   std::pair{"DELETED", WatchEventType::kDeleted},
                                   std::pair{"BOOKMARK", WatchEventType::kBookmark},
                                   std::pair{"ERROR", WatchEventType::kError}}) {
    SCOPED_TRACE(name);
    const auto event =
        decode_watch_event(std::string(R"({"type":")") + name + R"(","object":{"a":1}})");
    ASSERT_TRUE(event.ok()) << event.error().describe();
    EXPECT_EQ(event->type, type);
    EXPECT_EQ(event->object, nlohmann::json({{"a", 1}}));
    EXPECT_STREQ(to_string(type), name);
  }
}

TEST(WatchDecoderTest, RejectsLinesThatAreNotEvents) {
  for (const char* bad : {"not json", "[1,2]", R"({"object":{}})",
                          R"({"type":"RENAMED","object":{}})", R"({"type":"ADDED"})",
                          R"({"type":"ADDED","object":"x"})"}) {
    SCOPED_TRACE(bad);
    const auto event = decode_watch_event(bad);
    ASSERT_FALSE(event.ok());
    EXPECT_EQ(event.error().reason, kReasonInvalidResponse);
  }
}

TEST(WatchDecoderTest, DeliversEveryCompleteLineOfAChunk) {
  WatchStreamDecoder decoder;
  Collected collected;
  ASSERT_TRUE(decoder.feed(kAdded + "\n" + kBookmark + "\n", collected.handler()));
  ASSERT_EQ(collected.events.size(), 2u);
  EXPECT_EQ(collected.events[0].type, WatchEventType::kAdded);
  EXPECT_EQ(collected.events[0].object["metadata"]["name"], "web");
  EXPECT_EQ(collected.events[1].type, WatchEventType::kBookmark);
  EXPECT_EQ(decoder.pending_bytes(), 0u);
}

TEST(WatchDecoderTest, JoinsALineSplitAcrossChunks) {
  WatchStreamDecoder decoder;
  Collected collected;
  const std::string stream = kAdded + "\n" + kBookmark + "\n";
  const std::size_t split = kAdded.size() / 2;
  ASSERT_TRUE(decoder.feed(stream.substr(0, split), collected.handler()));
  EXPECT_TRUE(collected.events.empty());
  EXPECT_EQ(decoder.pending_bytes(), split);
  ASSERT_TRUE(decoder.feed(stream.substr(split, kAdded.size() + 3 - split), collected.handler()));
  ASSERT_EQ(collected.events.size(), 1u);
  ASSERT_TRUE(decoder.feed(stream.substr(kAdded.size() + 3), collected.handler()));
  ASSERT_EQ(collected.events.size(), 2u);
  EXPECT_EQ(collected.events[1].object["metadata"]["resourceVersion"], "12");
}

TEST(WatchDecoderTest, SurvivesOneByteChunks) {
  WatchStreamDecoder decoder;
  Collected collected;
  const std::string stream = kAdded + "\n" + kExpired + "\n";
  for (const char c : stream)
    ASSERT_TRUE(decoder.feed(std::string_view(&c, 1), collected.handler()));
  ASSERT_EQ(collected.events.size(), 2u);
  EXPECT_EQ(collected.events[1].type, WatchEventType::kError);
  EXPECT_EQ(collected.events[1].object["code"], 410);
}

TEST(WatchDecoderTest, IgnoresBlankLinesAndCarriageReturns) {
  WatchStreamDecoder decoder;
  Collected collected;
  ASSERT_TRUE(decoder.feed("\n \r\n" + kAdded + "\r\n", collected.handler()));
  EXPECT_EQ(collected.events.size(), 1u);
}

TEST(WatchDecoderTest, StopsWhenTheHandlerSaysSo) {
  WatchStreamDecoder decoder;
  int seen = 0;
  const WatchHandler first_only = [&seen](WatchEvent&&) { return ++seen < 1; };
  EXPECT_FALSE(decoder.feed(kAdded + "\n" + kAdded + "\n", first_only));
  EXPECT_EQ(seen, 1);
  EXPECT_FALSE(decoder.error().has_value());
}

TEST(WatchDecoderTest, ABrokenLineEndsTheStreamWithAnError) {
  WatchStreamDecoder decoder;
  Collected collected;
  EXPECT_FALSE(decoder.feed("{garbage}\n" + kAdded + "\n", collected.handler()));
  EXPECT_TRUE(collected.events.empty());
  ASSERT_TRUE(decoder.error().has_value());
  EXPECT_EQ(decoder.error()->reason, kReasonInvalidResponse);
  EXPECT_FALSE(decoder.feed(kAdded + "\n", collected.handler())) << "a broken stream stays broken";
}

TEST(WatchDecoderTest, AnOverlongLineIsAnErrorNotUnboundedMemory) {
  WatchStreamDecoder decoder(64);
  Collected collected;
  EXPECT_TRUE(decoder.feed(std::string(40, 'x'), collected.handler()));
  EXPECT_FALSE(decoder.feed(std::string(40, 'x'), collected.handler()));
  ASSERT_TRUE(decoder.error().has_value());
}

}  // namespace
}  // namespace autocanary::kube

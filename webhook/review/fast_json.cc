#include "webhook/review/fast_json.h"

#include <simdjson.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace autocanary::api {

namespace {

using nlohmann::json;
namespace dom = simdjson::dom;

json build(dom::element element) {
  switch (element.type()) {
    case dom::element_type::OBJECT: {
      json object(json::value_t::object);
      auto& members = object.get_ref<json::object_t&>();
      for (const dom::key_value_pair member : dom::object(element))
        // The last of a duplicated key wins, as in nlohmann's parser.
        members.insert_or_assign(std::string(member.key), build(member.value));
      return object;
    }
    case dom::element_type::ARRAY: {
      const dom::array items(element);
      json array(json::value_t::array);
      auto& values = array.get_ref<json::array_t&>();
      values.reserve(items.size());
      for (const dom::element item : items) values.push_back(build(item));
      return array;
    }
    case dom::element_type::STRING:
      return json(std::string(element.get_string().value_unsafe()));
    case dom::element_type::INT64: {
      // nlohmann keeps a non-negative integer unsigned. ("-0" becomes unsigned 0
      // here and signed 0 there: the same text, equal values.)
      const std::int64_t value = element.get_int64().value_unsafe();
      return value < 0 ? json(value) : json(static_cast<std::uint64_t>(value));
    }
    case dom::element_type::UINT64:
      return json(element.get_uint64().value_unsafe());
    case dom::element_type::DOUBLE:
      return json(element.get_double().value_unsafe());
    case dom::element_type::BOOL:
      return json(element.get_bool().value_unsafe());
    case dom::element_type::NULL_VALUE:
      return json(nullptr);
  }
  return json();
}

// A parser's buffers are about 15 bytes per byte of text it can read, touched
// in proportion to the text's values. Allocated afresh for each review, the
// webhook (which maps every buffer from 256 KiB up, webhook/main.cc) mapped and
// faulted in a 136 KB review's ~2 MB of them every time. A few parsers for
// texts up to kPooledTextBytes are kept instead and lent one review at a time:
// at most kPooledParsers × ~3.8 MiB held for the process's life, whatever the
// number of workers. A larger text, or one that finds them all lent, gets a
// parser of its own for the call, as before.
constexpr std::size_t kPooledParsers = 2;
constexpr std::size_t kPooledTextBytes = 256 * 1024;

class ParserPool {
 public:
  // A parser able to read `bytes` of text, and whether it came from the pool.
  std::unique_ptr<dom::parser> take(std::size_t bytes) {
    if (bytes <= kPooledTextBytes) {
      const std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        auto parser = std::move(idle_.back());
        idle_.pop_back();
        return parser;
      }
      if (created_ < kPooledParsers) {
        ++created_;
        auto parser = std::make_unique<dom::parser>();
        // Sized once for the largest pooled text, so it never grows.
        if (parser->allocate(kPooledTextBytes) == simdjson::SUCCESS) return parser;
        --created_;
      }
    }
    return nullptr;
  }

  void give_back(std::unique_ptr<dom::parser> parser) {
    const std::lock_guard lock(mutex_);
    idle_.push_back(std::move(parser));
  }

 private:
  std::mutex mutex_;
  std::vector<std::unique_ptr<dom::parser>> idle_;
  std::size_t created_ = 0;
};

ParserPool& parser_pool() {
  static ParserPool pool;
  return pool;
}

std::optional<json> read(dom::parser& parser, std::string_view text) {
  dom::element root;
  if (parser.parse(text.data(), text.size()).get(root) != simdjson::SUCCESS) return std::nullopt;
  return build(root);
}

}  // namespace

std::optional<json> parse_json_fast(std::string_view text) {
  auto pooled = parser_pool().take(text.size());
  if (!pooled) {
    dom::parser parser;
    return read(parser, text);
  }
  // Given back however the read ends (building the tree can throw bad_alloc).
  struct Lent {
    std::unique_ptr<dom::parser> parser;
    ~Lent() { parser_pool().give_back(std::move(parser)); }
  } lent{std::move(pooled)};
  return read(*lent.parser, text);
}

}  // namespace autocanary::api

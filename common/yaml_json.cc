#include "common/yaml_json.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <charconv>
#include <sstream>
#include <string>
#include <vector>

namespace autocanary::common {

namespace {

using nlohmann::json;

json scalar(const std::string& tag, const std::string& text) {
  // A quoted scalar ("25", 'true') is a string whatever it looks like.
  if (tag == "!") return text;
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  if (text == "null" || text == "~" || text.empty()) return nullptr;
  long long integer = 0;
  if (const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), integer);
      error == std::errc() && end == text.data() + text.size())
    return integer;
  double number = 0;
  if (const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
      error == std::errc() && end == text.data() + text.size())
    return number;
  return text;
}

// Builds the JSON value from the parser's events, one node at a time, so that
// every limit is checked before the node it concerns is built.
class JsonBuilder final : public YAML::EventHandler {
 public:
  explicit JsonBuilder(const YamlLimits& limits) : limits_(limits) {}

  [[nodiscard]] json take() { return std::move(root_); }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { add(mark, nullptr); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    throw YAML::ParserException(mark, "aliases (*name) are not accepted");
  }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t,
                const std::string& value) override {
    if (expecting_key()) {
      count(mark);
      pending_key_ = value;
      has_key_ = true;
      return;
    }
    add(mark, scalar(tag, value));
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    open(mark, json::array());
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    open(mark, json::object());
  }
  void OnMapEnd() override { close(); }

 private:
  [[nodiscard]] bool expecting_key() const {
    return !stack_.empty() && stack_.back()->is_object() && !has_key_;
  }

  void count(const YAML::Mark& mark) {
    if (++nodes_ > limits_.max_nodes)
      throw YAML::ParserException(mark, "more than " + std::to_string(limits_.max_nodes) + " nodes");
  }

  // Places `value` where the document is, returning where it now lives.
  json* add(const YAML::Mark& mark, json value) {
    if (expecting_key()) throw YAML::ParserException(mark, "a map key must be a scalar");
    count(mark);
    if (stack_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    json& parent = *stack_.back();
    if (parent.is_array()) {
      parent.push_back(std::move(value));
      return &parent.back();
    }
    has_key_ = false;
    json& slot = parent[pending_key_];
    slot = std::move(value);
    return &slot;
  }

  void open(const YAML::Mark& mark, json container) {
    if (static_cast<int>(stack_.size()) >= limits_.max_depth)
      throw YAML::ParserException(mark, "nested deeper than " + std::to_string(limits_.max_depth) + " levels");
    stack_.push_back(add(mark, std::move(container)));
  }

  void close() {
    if (!stack_.empty()) stack_.pop_back();
    has_key_ = false;
  }

  const YamlLimits& limits_;
  json root_;
  // Pointers stay valid: only the innermost open container ever grows.
  std::vector<json*> stack_;
  std::string pending_key_;
  bool has_key_ = false;
  std::size_t nodes_ = 0;
};

// How deep `[` and `{` nest in the text, counted without parsing (brackets in
// quoted strings count too: no real document nests 64 of them). The parser
// recurses and allocates per open flow collection before any event reaches the
// builder, so a deep one is refused before the parser runs.
int flow_depth(std::string_view text) {
  int depth = 0;
  int deepest = 0;
  for (const char c : text) {
    if (c == '[' || c == '{') deepest = std::max(deepest, ++depth);
    if ((c == ']' || c == '}') && depth > 0) --depth;
  }
  return deepest;
}

}  // namespace

std::variant<json, std::string> yaml_to_json(std::string_view text, const YamlLimits& limits) {
  if (text.size() > limits.max_bytes)
    return "invalid YAML: " + std::to_string(text.size()) + " bytes, more than the " +
           std::to_string(limits.max_bytes) + " accepted";
  if (flow_depth(text) > limits.max_depth)
    return "invalid YAML: nested deeper than " + std::to_string(limits.max_depth) + " levels";
  try {
    std::istringstream input{std::string(text)};
    YAML::Parser parser(input);
    JsonBuilder builder(limits);
    parser.HandleNextDocument(builder);
    return builder.take();
  } catch (const YAML::Exception& error) {
    return std::string("invalid YAML: ") + error.what();
  }
}

}  // namespace autocanary::common

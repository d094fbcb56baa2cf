#include "kube/watch_decoder.h"

#include "common/json_fields.h"

namespace autocanary::kube {

namespace {

KubeError invalid_stream(std::string message) {
  return KubeError{0, kReasonInvalidResponse, std::move(message), true};
}

std::optional<WatchEventType> event_type(std::string_view name) {
  if (name == "ADDED") return WatchEventType::kAdded;
  if (name == "MODIFIED") return WatchEventType::kModified;
  if (name == "DELETED") return WatchEventType::kDeleted;
  if (name == "BOOKMARK") return WatchEventType::kBookmark;
  if (name == "ERROR") return WatchEventType::kError;
  return std::nullopt;
}

}  // namespace

Result<WatchEvent> decode_watch_event(std::string_view line) {
  auto parsed = nlohmann::json::parse(line, nullptr, false);
  if (!parsed.is_object()) return invalid_stream("watch event is not a JSON object");
  const std::string type_name = common::string_field(&parsed, "type");
  if (type_name.empty()) return invalid_stream("watch event has no type");
  const auto type = event_type(type_name);
  if (!type) return invalid_stream("unknown watch event type \"" + type_name + "\"");
  if (!parsed.contains("object") || !parsed["object"].is_object())
    return invalid_stream("watch event has no object");
  return WatchEvent{*type, std::move(parsed["object"])};
}

bool WatchStreamDecoder::deliver(std::string_view line, const WatchHandler& on_event) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.find_first_not_of(" \t") == std::string_view::npos) return true;
  auto event = decode_watch_event(line);
  if (!event) {
    error_ = std::move(event).error();
    return false;
  }
  return on_event(std::move(event).value());
}

bool WatchStreamDecoder::feed(std::string_view bytes, const WatchHandler& on_event) {
  if (error_) return false;
  while (!bytes.empty()) {
    const auto newline = bytes.find('\n');
    if (newline == std::string_view::npos) {
      if (pending_.size() + bytes.size() > max_line_bytes_) {
        error_ = invalid_stream("watch event longer than " + std::to_string(max_line_bytes_) +
                                " bytes");
        return false;
      }
      pending_.append(bytes);
      return true;
    }
    bool keep_going = false;
    if (pending_.empty()) {
      // The common case: a whole line inside this chunk, decoded without a copy.
      keep_going = deliver(bytes.substr(0, newline), on_event);
    } else {
      pending_.append(bytes.substr(0, newline));
      const std::string line = std::move(pending_);
      pending_.clear();
      keep_going = deliver(line, on_event);
    }
    bytes.remove_prefix(newline + 1);
    if (!keep_going) return false;
  }
  return true;
}

}  // namespace autocanary::kube

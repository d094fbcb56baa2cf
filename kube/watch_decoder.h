// A watch response is one JSON event per line, {"type": "...", "object": {...}},
// arriving in chunks that split lines anywhere. The decoder keeps only the
// unfinished line between chunks, never the whole stream.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "kube/kube_client.h"

namespace autocanary::kube {

// One line (without its newline) as an event, or why it is not one.
[[nodiscard]] Result<WatchEvent> decode_watch_event(std::string_view line);

class WatchStreamDecoder {
 public:
  // A line longer than this is an error rather than unbounded memory.
  explicit WatchStreamDecoder(std::size_t max_line_bytes = 64u << 20) noexcept
      : max_line_bytes_(max_line_bytes) {}

  // Hands every line completed by `bytes` to `on_event` as an event. Returns false
  // to stop reading: `on_event` said so, or the stream is broken (see error()).
  [[nodiscard]] bool feed(std::string_view bytes, const WatchHandler& on_event);

  [[nodiscard]] const std::optional<KubeError>& error() const noexcept { return error_; }
  // Bytes of a line still waiting for its end; non-zero when the stream ends is truncation.
  [[nodiscard]] std::size_t pending_bytes() const noexcept { return pending_.size(); }

 private:
  bool deliver(std::string_view line, const WatchHandler& on_event);

  std::size_t max_line_bytes_;
  std::string pending_;
  std::optional<KubeError> error_;
};

}  // namespace autocanary::kube

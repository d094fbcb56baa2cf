// A watch response stream: the first byte sets the chunk size (1–64 bytes), the
// second a small line limit (or none), the rest is the stream, fed in chunks.
#include <cstdint>
#include <string_view>

#include "kube/watch_decoder.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace autocanary;
  if (size < 2) return 0;
  const size_t chunk = 1 + data[0] % 64;
  const size_t max_line = data[1] < 128 ? (64u << 20) : 16 + (data[1] - 128u) * 8;
  auto stream = fuzz::as_text(data + 2, size - 2);

  kube::WatchStreamDecoder decoder(max_line);
  size_t events = 0;
  const kube::WatchHandler on_event = [&](kube::WatchEvent&&) { return ++events < 1000; };
  while (!stream.empty()) {
    const auto piece = stream.substr(0, chunk);
    stream.remove_prefix(piece.size());
    if (!decoder.feed(piece, on_event)) break;
  }
  if (decoder.pending_bytes() > max_line) fuzz::fail("pending line over the limit");
  return 0;
}

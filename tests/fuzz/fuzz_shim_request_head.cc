// The shim's HTTP request head (what a client on the pod network sends), and a
// reply built from what it asked.
#include <cstdint>
#include <variant>

#include "shim/http_server.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace autocanary;
  const auto parsed = shim::parse_request_head(fuzz::as_text(data, size));
  if (const auto* line = std::get_if<shim::HttpRequestLine>(&parsed)) {
    if (line->method.empty()) fuzz::fail("empty method accepted");
    (void)shim::format_reply({200, "text/plain; charset=utf-8", line->path});
  } else {
    const int status = std::get<int>(parsed);
    if (status < 400 || status > 599) fuzz::fail("refused with a status that is not an error");
    (void)shim::format_reply({status, "text/plain; charset=utf-8", ""});
  }
  return 0;
}

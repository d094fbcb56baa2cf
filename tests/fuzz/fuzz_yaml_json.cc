// common/yaml_json: any text, within the default limits and within small ones.
#include <cstdint>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "common/yaml_json.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace autocanary;
  const auto text = fuzz::as_text(data, size);

  auto converted = common::yaml_to_json(text);
  if (auto* json = std::get_if<nlohmann::json>(&converted)) {
    // What callers do next: read it back as text (replacing invalid UTF-8).
    const auto dumped = json->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (!nlohmann::json::accept(dumped)) fuzz::fail("dump is not JSON", dumped);
  }

  // Tight limits: every bound must give an error, never a crash.
  const common::YamlLimits tight{256, 4, 16};
  auto bounded = common::yaml_to_json(text, tight);
  if (size > tight.max_bytes && std::holds_alternative<nlohmann::json>(bounded))
    fuzz::fail("text over max_bytes accepted");
  return 0;
}

// The shim's probe definitions as AUTOCANARY_SHIM_PROBES holds them (written by
// the webhook from the app's own readinessProbe): the whole input as a probe
// list and as one probe; named ports resolve to a fixed value or to nothing.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "shim/probe_spec.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace autocanary;
  const auto text = fuzz::as_text(data, size);
  shim::ProbeDefaults defaults;
  defaults.env = [](const std::string& name) -> std::optional<std::string> {
    if (name.size() % 2 == 0) return "8080";
    return std::nullopt;
  };

  auto list = shim::parse_probe_list(text, defaults);
  if (auto* probes = std::get_if<std::vector<shim::ProbeSpec>>(&list))
    for (const auto& probe : *probes) {
      if (probe.port < 1 || probe.port > 65535) fuzz::fail("port out of range", probe.name());
      (void)probe.name();
    }
  (void)shim::parse_probe(text, defaults);
  (void)shim::named_port_variable(text);
  return 0;
}

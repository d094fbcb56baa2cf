// The shim's options: input = ARGUMENTS, separated by '\n', then '\0' and the
// environment as NAME=VALUE lines (the webhook writes AUTOCANARY_SHIM_* there).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "shim/shim_options.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace autocanary;
  auto halves = fuzz::split(fuzz::as_text(data, size), '\0', 2);
  halves.resize(2);
  std::vector<std::string> arguments = fuzz::split(halves[0], '\n', 64);
  if (arguments.size() == 1 && arguments[0].empty()) arguments.clear();
  std::map<std::string, std::string> environment;
  if (!halves[1].empty())
    for (const auto& line : fuzz::split(halves[1], '\n', 64)) {
      const auto equals = line.find('=');
      if (equals != std::string::npos) environment[line.substr(0, equals)] = line.substr(equals + 1);
    }
  const shim::EnvLookup env = [&](const std::string& name) -> std::optional<std::string> {
    const auto found = environment.find(name);
    if (found == environment.end()) return std::nullopt;
    return found->second;
  };
  (void)shim::parse_shim_options(arguments, env);
  return 0;
}

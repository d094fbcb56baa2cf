// Configuration of autocanary-shim: every flag can also come from an environment
// variable (the webhook sets those in the injected container); a flag given on
// the command line wins over its variable.
#pragma once

#include <chrono>
#include <string>
#include <variant>
#include <vector>

#include "common/log.h"
#include "shim/probe_spec.h"
#include "shim/readiness.h"

namespace autocanary::shim {

struct ShimOptions {
  std::string bind_address = "0.0.0.0";
  int port = 17021;  // 0: any free port (tests)
  std::vector<ProbeSpec> probes;
  ProbeTiming defaults;  // for whatever a probe's text leaves unsaid
  std::string probe_host = "127.0.0.1";
  WarmUp warm_up;
  common::LogLevel log_level = common::LogLevel::kInfo;
};

// Parsed options, or a message for the user; a message starting with "usage:"
// answers --help.
[[nodiscard]] std::variant<ShimOptions, std::string> parse_shim_options(const std::vector<std::string>& arguments,
                                                                        const EnvLookup& env);

[[nodiscard]] std::string shim_usage();

}  // namespace autocanary::shim

// The subcommands over the API client: read, print, write, wait on watches.
// Everything they print is made by the pure functions beside them.
#pragma once

#include <cstdio>

#include "cli/options.h"
#include "cli/render.h"
#include "kube/kube_client.h"

namespace autocanary::cli {

struct Terminal {
  std::FILE* out = stdout;
  std::FILE* err = stderr;
  Style style;  // colours and symbols when `out` is a terminal
};

// Runs the parsed command in `namespace_name`; returns the process's exit code.
[[nodiscard]] int run_command(const Options& options, const std::string& namespace_name, kube::KubeClient& client,
                              const Terminal& terminal);

}  // namespace autocanary::cli

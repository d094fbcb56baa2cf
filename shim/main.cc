// autocanary-shim and autocanary-shim-tls: the in-pod readiness shim. See
// shim_usage(); the two differ only in TLS (shim/tls_session.h).
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "common/metrics.h"
#include "common/shutdown_signals.h"
#include "shim/probe_loop.h"
#include "shim/prober.h"
#include "shim/shim_metrics.h"
#include "shim/shim_options.h"
#include "shim/status_server.h"
#include "shim/tls_session.h"

using namespace autocanary;

int main(int argc, char** argv) {
  const auto started = shim::ProbeLoop::Clock::now();
  // One malloc arena for all threads: each thread's own arena would cost
  // resident pages for a process that allocates almost nothing.
  mallopt(M_ARENA_MAX, 1);

  auto parsed = shim::parse_shim_options({argv + 1, argv + argc}, [](const std::string& name) {
    const char* value = std::getenv(name.c_str());
    return value != nullptr ? std::optional<std::string>(value) : std::nullopt;
  });
  if (auto* message = std::get_if<std::string>(&parsed)) {
    std::fprintf(stderr, "%s\n", message->c_str());
    return message->starts_with("usage:") ? 0 : 2;
  }
  auto options = std::get<shim::ShimOptions>(std::move(parsed));
  if (!shim::tls_available()) {
    for (const auto& probe : options.probes) {
      if (probe.kind != shim::ProbeKind::kHttps) continue;
      std::fprintf(stderr, "probe %s needs TLS, which this binary leaves out to stay small: run %s instead\n",
                   probe.name().c_str(), std::string(shim::kTlsShimBinary).c_str());
      return 2;
    }
  }

  const common::ShutdownSignals shutdown;  // before any thread starts

  common::Logger logger(options.log_level);
  std::vector<shim::ProbeTarget> targets;
  std::vector<std::string> names;
  for (auto& probe : options.probes) {
    targets.push_back(shim::make_probe_target(std::move(probe)));
    names.push_back(targets.back().name);
  }
  common::MetricsRegistry registry;
  auto& metrics = registry.add<shim::ShimMetrics>(names);
  registry.add<common::GaugeFunc>("process_resident_memory_bytes", "Resident memory size in bytes.",
                                   &common::process_resident_bytes);

  shim::Prober prober;
  shim::ProbeLoop loop(std::move(targets), options.warm_up, prober, metrics, logger, started);
  shim::StatusServer server(loop, registry);
  const auto bound = server.bind(options.bind_address, options.port);
  if (const auto* error = std::get_if<std::string>(&bound)) {
    logger.error("cannot start", {{"error", *error}});
    return 1;
  }
  logger.info("serving", {{"address", options.bind_address}, {"port", std::get<int>(bound)}, {"probes", names}});

  std::thread probing([&loop] { loop.run(); });
  std::thread serving([&server] { server.serve(); });
  const int signal_number = shutdown.wait();
  logger.info("stopping", {{"signal", signal_number}});
  loop.stop();
  server.stop();
  probing.join();
  serving.join();
  logger.info("stopped");
  return 0;
}

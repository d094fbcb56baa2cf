// autocanary-webhook: the mutating admission webhook. See webhook_usage().
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <variant>

#include "webhook/policy/canary_policy.h"
#include "webhook/server/admission_handler.h"
#include "webhook/server/admission_server.h"
#include "webhook/server/certificate_reloader.h"
#include "webhook/server/webhook_options.h"
#include "webhook/support/shutdown_signals.h"

using namespace autocanary;

int main(int argc, char** argv) {
  auto parsed = server::parse_webhook_options({argv + 1, argv + argc}, std::getenv("POD_NAMESPACE"));
  if (auto* message = std::get_if<std::string>(&parsed)) {
    std::fprintf(stderr, "%s\n", message->c_str());
    return message->starts_with("usage:") ? 0 : 2;
  }
  auto options = std::get<server::WebhookOptions>(std::move(parsed));

  const support::ShutdownSignals shutdown;  // before any thread starts

  support::Logger logger(options.log_level);
  support::MetricsRegistry metrics;
  server::CertificateReloader certificates(options.cert_file, options.key_file, logger, metrics);
  server::AdmissionHandler handler(options.scope, policy::builtin_default_policy(), logger, metrics);
  server::AdmissionServer server(options.server, handler, certificates, metrics, logger);

  const auto bound = server.bind();
  if (const auto* error = std::get_if<std::string>(&bound)) {
    logger.error("cannot start", {{"error", *error}});
    return 1;
  }
  const int port = std::get<int>(bound);

  std::thread signal_waiter([&] {
    const int signal_number = shutdown.wait();
    logger.info("draining before shutdown",
                {{"signal", signal_number}, {"drainSeconds", std::chrono::duration<double>(options.drain_delay).count()}});
    server.start_draining();
    std::this_thread::sleep_for(options.drain_delay);
    server.stop();
  });

  logger.info("serving", {{"address", options.server.bind_address},
                          {"port", port},
                          {"namespace", options.scope.own_namespace},
                          {"threads", options.server.threads}});
  server.serve();
  signal_waiter.join();
  logger.info("stopped");
  return 0;
}

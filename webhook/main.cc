// autocanary-webhook: the mutating admission webhook. See webhook_usage().
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>
#include <variant>

#include "common/shutdown_signals.h"
#include "kube/http_kube_client.h"
#include "kube/kube_config.h"
#include "policy/canary_policy.h"
#include "policy/policy_store.h"
#include "webhook/server/admission_handler.h"
#include "webhook/server/admission_server.h"
#include "webhook/server/certificate_reloader.h"
#include "webhook/server/policy_cache.h"
#include "webhook/server/review_allocator.h"
#include "webhook/server/self_managed_certificates.h"
#include "webhook/server/webhook_options.h"

using namespace autocanary;

int main(int argc, char** argv) {
  server::keep_freed_review_memory_shared();
  auto parsed = server::parse_webhook_options({argv + 1, argv + argc}, std::getenv("POD_NAMESPACE"));
  if (auto* message = std::get_if<std::string>(&parsed)) {
    std::fprintf(stderr, "%s\n", message->c_str());
    return message->starts_with("usage:") ? 0 : 2;
  }
  auto options = std::get<server::WebhookOptions>(std::move(parsed));

  const common::ShutdownSignals shutdown;  // before any thread starts

  common::Logger logger(options.log_level);
  common::MetricsRegistry metrics;
  server::CertificateReloader certificates(options.cert_file, options.key_file, logger, metrics);
  // Policies come from the cluster when the webhook can read it; until the first
  // list arrives, and without API access, the built-in policy applies.
  std::unique_ptr<kube::HttpKubeClient> client;
  std::unique_ptr<policy::PolicyStore> policies;
  kube::InClusterEnvironment in_cluster;
  if (const char* host = std::getenv("KUBERNETES_SERVICE_HOST")) in_cluster.service_host = host;
  if (const char* port = std::getenv("KUBERNETES_SERVICE_PORT")) in_cluster.service_port = port;
  auto config = options.kubeconfig.empty() ? kube::load_default_config(std::getenv("KUBECONFIG"), in_cluster)
                                           : kube::load_kubeconfig_file(options.kubeconfig);
  if (auto* loaded = std::get_if<kube::KubeConfig>(&config)) {
    auto made = kube::HttpKubeClient::from_config(std::move(*loaded), kube::HttpKubeClientOptions{}, logger);
    if (auto* error = std::get_if<std::string>(&made)) {
      logger.warn("no API access; the built-in canary policy applies", {{"error", *error}});
    } else {
      client = std::move(std::get<std::unique_ptr<kube::HttpKubeClient>>(made));
      policies = std::make_unique<policy::PolicyStore>(*client, logger);
    }
  } else {
    logger.warn("no API access; the built-in canary policy applies", {{"error", std::get<std::string>(config)}});
  }
  std::unique_ptr<server::SelfManagedCertificates> self_managed;
  if (options.self_managed_certificates) {
    if (!client) {
      logger.error("--cert-secret needs API access");
      return 1;
    }
    self_managed = std::make_unique<server::SelfManagedCertificates>(
        *client, options.certificates, [] { return std::chrono::system_clock::now(); }, logger, metrics);
  }
  server::ParsedPolicyCache parsed_policies;
  server::AdmissionHandler handler(options.scope,
                                   policies ? server::cached_policies(*policies, parsed_policies)
                                            : server::fixed_policy(policy::builtin_default_policy()),
                                   logger, metrics);
  server::AdmissionServer server(options.server, handler, certificates, metrics, logger);

  std::stop_source stopping;
  std::atomic<bool> listening{false};
  std::thread signal_waiter([&] {
    const int signal_number = shutdown.wait();
    stopping.request_stop();
    if (!listening) return;
    logger.info("draining before shutdown",
                {{"signal", signal_number}, {"drainSeconds", std::chrono::duration<double>(options.drain_delay).count()}});
    server.start_draining();
    std::this_thread::sleep_for(options.drain_delay);
    server.stop();
  });
  const auto give_up = [&](int code) {
    // The waiter blocks in sigwait; the process ends under it.
    signal_waiter.detach();
    return code;
  };

  // Self-managed certificates: the first pass must put a pair on disk before the
  // server can listen; later passes renew it in the background.
  if (self_managed) {
    std::mutex sleep_mutex;
    std::condition_variable_any wake;
    for (auto delay = std::chrono::milliseconds(200);; delay = std::min(delay * 2, std::chrono::milliseconds(5'000))) {
      const std::string error = self_managed->sync();
      if (error.empty()) break;
      logger.warn("no serving certificate yet; retrying", {{"error", error}});
      std::unique_lock lock(sleep_mutex);
      if (wake.wait_for(lock, stopping.get_token(), delay, [] { return false; }) || stopping.stop_requested()) {
        signal_waiter.join();
        logger.info("stopped");
        return 0;
      }
    }
  }

  const auto bound = server.bind();
  if (const auto* error = std::get_if<std::string>(&bound)) {
    logger.error("cannot start", {{"error", *error}});
    return give_up(1);
  }
  const int port = std::get<int>(bound);
  listening = true;
  if (stopping.stop_requested()) server.stop();

  std::stop_source stop_watching;
  std::jthread policy_watch([&] {
    if (policies) policies->run(stop_watching.get_token());
  });
  std::jthread certificate_renewal([&] {
    if (self_managed) self_managed->run(stop_watching.get_token());
  });
  logger.info("serving", {{"address", options.server.bind_address},
                          {"port", port},
                          {"namespace", options.scope.own_namespace},
                          {"threads", options.server.threads}});
  if (!stopping.stop_requested()) server.serve();
  signal_waiter.join();
  stop_watching.request_stop();
  policy_watch.join();
  certificate_renewal.join();
  logger.info("stopped");
  return 0;
}

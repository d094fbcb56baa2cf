// The HTTPS transport: POST /mutate, /healthz, /readyz, /metrics on one port.
// TLS 1.2+, certificates from CertificateReloader, bounded bodies, a memory
// budget over the reviews in flight, a fixed worker pool, short keep-alive, and
// a drain phase before stopping.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>
#include <variant>

#include <httplib.h>

#include "common/log.h"
#include "common/metrics.h"
#include "webhook/server/admission_handler.h"
#include "webhook/server/certificate_reloader.h"
#include "webhook/server/memory_budget.h"
#include "webhook/server/open_connections.h"

namespace autocanary::server {

struct ServerOptions {
  std::string bind_address = "0.0.0.0";
  int port = 8443;  // 0 picks a free port
  // cpp-httplib holds a worker per open connection for its keep-alive life, and
  // the apiserver keeps up to 25 idle connections per webhook host: 128 workers
  // leave room for several apiservers' idle connections and a burst beside them
  // (~9 KiB of RSS each; reviews' memory is bounded by the budget, not by workers).
  std::size_t threads = 128;
  // Longer than the apiserver's idle timeout (Go's 90 s), so the apiserver always
  // closes an idle connection first: a server closing one races a review the
  // apiserver sends on it, which fails the user's write ("broken pipe").
  std::chrono::seconds keep_alive_timeout{120};
  std::size_t keep_alive_max_requests = 1000;
  std::chrono::seconds read_timeout{10};
  std::chrono::seconds write_timeout{10};
  // Kubernetes objects are at most ~1.5 MiB; a review carries two of them.
  std::size_t max_body_bytes = 4 * 1024 * 1024;
  // What all reviews in flight may hold at once (see MemoryBudget); with the
  // process's own ~10 MiB it stays well inside the chart's 128 Mi limit.
  std::size_t review_memory_budget = 64 * 1024 * 1024;
  // How long a request waits for its share before it is answered 429.
  std::chrono::milliseconds review_memory_wait{1'000};
  std::chrono::milliseconds default_review_timeout{10'000};
};

// The apiserver's ?timeout= (Go duration), clamped to what webhooks may use: 1–30 s.
[[nodiscard]] std::chrono::milliseconds review_timeout(const std::string& query_value,
                                                       std::chrono::milliseconds fallback);

class AdmissionServer {
 public:
  AdmissionServer(ServerOptions options, AdmissionHandler& handler, CertificateReloader& certificates,
                  common::MetricsRegistry& metrics, common::Logger& logger);

  // Binds the listening socket: the port (useful with port 0), or an error.
  [[nodiscard]] std::variant<int, std::string> bind();

  // Serves until stop(); returns after in-flight requests have finished.
  void serve();

  // From now on /readyz fails and responses close their connections, so load
  // balancers and the apiserver move to other replicas; requests are still served.
  void start_draining() noexcept { draining_.store(true); }
  [[nodiscard]] bool draining() const noexcept { return draining_.load(); }

  void stop();

 private:
  void install_routes();
  void mutate(const httplib::Request& request, httplib::Response& response, const httplib::ContentReader& read_body);

  ServerOptions options_;
  AdmissionHandler& handler_;
  CertificateReloader& certificates_;
  common::MetricsRegistry& metrics_;
  common::Logger& logger_;
  MemoryBudget memory_budget_;
  OpenConnections connections_;  // before server_, whose TLS set-up attaches it
  httplib::SSLServer server_;
  std::atomic<bool> draining_{false};
};

}  // namespace autocanary::server

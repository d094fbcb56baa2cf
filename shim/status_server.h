// The shim's plain-HTTP endpoints, for the kubelet and Prometheus:
//   GET /ready    200 "ready", or 503 with the one-line reason
//   GET /live     200 while the probing thread turns, else 503
//   GET /metrics  Prometheus text
// Two worker threads; connections are not kept alive, so one idle client cannot
// hold a worker the kubelet's next probe needs.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <variant>

#include "shim/probe_loop.h"
#include "webhook/support/metrics.h"

namespace httplib {
class Server;
}

namespace autocanary::shim {

class StatusServer {
 public:
  StatusServer(const ProbeLoop& loop, const support::MetricsRegistry& metrics);
  ~StatusServer();
  StatusServer(const StatusServer&) = delete;
  StatusServer& operator=(const StatusServer&) = delete;

  // The bound port (the one asked for, or a free one for 0), or why not.
  [[nodiscard]] std::variant<int, std::string> bind(const std::string& address, int port);
  // Serves until stop(); call after a successful bind().
  void serve();
  // From any thread, before, during or after serve(): serve() returns soon.
  void stop();

 private:
  std::unique_ptr<httplib::Server> server_;  // httplib.h stays in one file
  // httplib's stop() does nothing before listening has begun, so stop() repeats
  // it until serve() has returned.
  std::atomic<bool> serve_started_{false};
  std::atomic<bool> serve_done_{false};
  std::atomic<bool> stop_requested_{false};
};

}  // namespace autocanary::shim

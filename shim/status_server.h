// The shim's plain-HTTP endpoints, for the kubelet and Prometheus:
//   GET /ready    200 "ready", or 503 with the one-line reason
//   GET /live     200 while the probing thread turns, else 503
//   GET /metrics  Prometheus text
// Served by shim/http_server: two accepting threads, one request per
// connection, so one idle client cannot hold the kubelet's next probe.
#pragma once

#include <string>
#include <variant>

#include "common/metrics.h"
#include "shim/http_server.h"
#include "shim/probe_loop.h"

namespace autocanary::shim {

class StatusServer {
 public:
  StatusServer(const ProbeLoop& loop, const common::MetricsRegistry& metrics);

  // The bound port (the one asked for, or a free one for 0), or why not.
  [[nodiscard]] std::variant<int, std::string> bind(const std::string& address, int port) {
    return server_.bind(address, port);
  }
  // Serves until stop(); call after a successful bind().
  void serve() { server_.serve(); }
  // From any thread, before, during or after serve(): serve() returns soon.
  void stop() { server_.stop(); }

 private:
  HttpServer server_;
};

}  // namespace autocanary::shim

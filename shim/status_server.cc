#include "shim/status_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace autocanary::shim {

namespace {

constexpr std::size_t kWorkers = 2;
// Requests are a line and a few headers; a client slower than this is dropped.
constexpr auto kClientTimeout = std::chrono::seconds(1);

}  // namespace

StatusServer::StatusServer(const ProbeLoop& loop, const support::MetricsRegistry& metrics)
    : server_(std::make_unique<httplib::Server>()) {
  server_->new_task_queue = [] { return new httplib::ThreadPool(kWorkers); };
  server_->set_keep_alive_max_count(1);
  server_->set_read_timeout(kClientTimeout);
  server_->set_write_timeout(kClientTimeout);
  server_->set_payload_max_length(4096);
  // httplib's default also sets SO_REUSEPORT, which would let a second process
  // share the port and take half the kubelet's probes; the port must be ours.
  server_->set_socket_options([](socket_t fd) {
    const int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  });

  server_->Get("/ready", [&loop](const httplib::Request&, httplib::Response& response) {
    Verdict verdict = loop.verdict();
    response.status = verdict.ready ? 200 : 503;
    verdict.reason += '\n';
    response.set_content(std::move(verdict.reason), "text/plain; charset=utf-8");
  });
  server_->Get("/live", [&loop](const httplib::Request&, httplib::Response& response) {
    const bool alive = loop.alive(ProbeLoop::Clock::now());
    response.status = alive ? 200 : 503;
    response.set_content(alive ? "ok\n" : "the probing thread is stuck\n", "text/plain; charset=utf-8");
  });
  server_->Get("/metrics", [&metrics](const httplib::Request&, httplib::Response& response) {
    response.set_content(metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
  });
}

StatusServer::~StatusServer() = default;

std::variant<int, std::string> StatusServer::bind(const std::string& address, int port) {
  errno = 0;
  const int bound = port == 0 ? server_->bind_to_any_port(address)
                              : (server_->bind_to_port(address, port) ? port : -1);
  if (bound > 0) return bound;
  std::string message = "cannot listen on " + address + ":" + std::to_string(port);
  if (errno != 0) message += std::string(": ") + std::strerror(errno);
  return message;
}

void StatusServer::serve() {
  serve_started_ = true;
  if (!stop_requested_) server_->listen_after_bind();
  serve_done_ = true;
}

void StatusServer::stop() {
  stop_requested_ = true;
  while (serve_started_ && !serve_done_) {
    server_->stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

}  // namespace autocanary::shim

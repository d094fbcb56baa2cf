#include "webhook/server/admission_server.h"

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <optional>

#include "common/duration.h"
#include "common/json_text.h"
#include "webhook/review/admission_review.h"

namespace autocanary::server {

namespace {

constexpr auto kMinReviewTimeout = std::chrono::milliseconds(1'000);
constexpr auto kMaxReviewTimeout = std::chrono::milliseconds(30'000);

// What the review a worker last answered holds until its answer is written: the
// body, the parsed request and decision, and their share of the memory budget.
// Freeing a large review's tree (~9,000 allocations for a 136 KB one) is nothing
// the apiserver waits for, so the worker does it once the answer is written (the
// server's logger, which cpp-httplib calls then), or at the latest when it
// starts its next review: at most one per worker, counted until freed.
struct Answered {
  std::string body;
  std::unique_ptr<Reviewed> built_from;
  MemoryBudget::Reservation reservation;
};
thread_local std::optional<Answered> answered_by_this_worker;

bool configure_tls(SSL_CTX& context, CertificateReloader& certificates, OpenConnections& connections) {
  SSL_CTX_set_min_proto_version(&context, TLS1_2_VERSION);
  SSL_CTX_set_options(&context, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                    SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Forward-secret AEAD suites only for TLS 1.2; TLS 1.3 suites are all fine.
  if (SSL_CTX_set_cipher_list(&context,
                              "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                              "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                              "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305") != 1)
    return false;
  certificates.attach(&context);
  connections.attach(context);
  return true;
}

}  // namespace

std::chrono::milliseconds review_timeout(const std::string& query_value,
                                         std::chrono::milliseconds fallback) {
  if (query_value.empty()) return fallback;
  const auto parsed = common::parse_duration(query_value);
  if (!parsed) return fallback;
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(*parsed);
  return std::clamp(millis, kMinReviewTimeout, kMaxReviewTimeout);
}

AdmissionServer::AdmissionServer(ServerOptions options, AdmissionHandler& handler,
                                 CertificateReloader& certificates, common::MetricsRegistry& metrics,
                                 common::Logger& logger)
    : options_(std::move(options)),
      handler_(handler),
      certificates_(certificates),
      metrics_(metrics),
      logger_(logger),
      memory_budget_(options_.review_memory_budget),
      server_([this](SSL_CTX& context) { return configure_tls(context, certificates_, connections_); }) {
  const std::size_t threads = options_.threads;
  server_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server_.set_keep_alive_timeout(static_cast<time_t>(options_.keep_alive_timeout.count()));
  server_.set_keep_alive_max_count(options_.keep_alive_max_requests);
  server_.set_read_timeout(options_.read_timeout);
  server_.set_write_timeout(options_.write_timeout);
  server_.set_payload_max_length(options_.max_body_bytes);
  server_.set_tcp_nodelay(true);
  // cpp-httplib's default adds SO_REUSEPORT, which would let a second process
  // share the port and take half the reviews; reusing the address is enough.
  server_.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  metrics_.add<common::GaugeFunc>("process_resident_memory_bytes", "Resident memory size in bytes.",
                                   &common::process_resident_bytes);
  install_routes();
}

void AdmissionServer::install_routes() {
  server_.Post("/mutate", [this](const httplib::Request& request, httplib::Response& response,
                                 const httplib::ContentReader& read_body) { mutate(request, response, read_body); });
  server_.Get("/healthz", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("ok\n", "text/plain");
  });
  server_.Get("/readyz", [this](const httplib::Request&, httplib::Response& response) {
    if (draining()) {
      response.status = 503;
      response.set_content("draining\n", "text/plain");
    } else if (!certificates_.current()) {
      response.status = 503;
      response.set_content("no serving certificate\n", "text/plain");
    } else {
      response.set_content("ok\n", "text/plain");
    }
  });
  server_.Get("/metrics", [this](const httplib::Request&, httplib::Response& response) {
    response.set_content(metrics_.render(), "text/plain; version=0.0.4");
  });

  // Errors the library produces itself (oversized body, unknown path) still get
  // a readable JSON body and are counted.
  server_.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request& request, httplib::Response& response) {
    if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    std::string message;
    std::string reason;
    if (response.status == 413) {
      message = "request body exceeds " + std::to_string(options_.max_body_bytes) + " bytes";
      reason = "payload_too_large";
    } else if (response.status == 404) {
      message = "no such endpoint: " + request.method + " " + request.path;
      reason = "not_found";
    } else {
      message = "request refused (HTTP " + std::to_string(response.status) + ")";
      reason = "refused";
    }
    if (request.path == "/mutate") handler_.count_refused(response.status, reason);
    response.set_content(error_body(message), "application/json");
    return httplib::Server::HandlerResponse::Handled;
  }));
  server_.set_exception_handler(
      [this](const httplib::Request&, httplib::Response& response, std::exception_ptr error) {
        std::string what = "unknown error";
        try {
          if (error) std::rethrow_exception(error);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        logger_.error("request handler failed", {{"error", what}});
        response.status = 500;
        response.set_content(error_body("internal error: " + what), "application/json");
      });
  server_.set_post_routing_handler([this](const httplib::Request&, httplib::Response& response) {
    if (draining()) response.set_header("Connection", "close");
  });
  // Called on the worker once a response has been written.
  server_.set_logger([](const httplib::Request&, const httplib::Response&) { answered_by_this_worker.reset(); });
}

void AdmissionServer::mutate(const httplib::Request& request, httplib::Response& response,
                             const httplib::ContentReader& read_body) {
  answered_by_this_worker.reset();
  const auto now = AdmissionHandler::Clock::now();
  const auto deadline = now + review_timeout(request.get_param_value("timeout"), options_.default_review_timeout);
  const auto refuse = [&](int status, std::string_view reason, const std::string& message) {
    handler_.count_refused(status, reason);
    response.status = status;
    response.set_content(error_body(message), "application/json");
  };
  // The apiserver always sends a length; without one the body may be as large as allowed.
  std::size_t length = options_.max_body_bytes;
  if (const std::string given = request.get_header_value("Content-Length"); !given.empty())
    std::from_chars(given.data(), given.data() + given.size(), length);
  const bool oversized = length > options_.max_body_bytes;
  // Reserved before a byte is read, so bodies waiting for memory hold none.
  auto reservation = oversized ? std::nullopt
                               : memory_budget_.reserve(api::review_memory_bound(length),
                                                        std::min(deadline, now + options_.review_memory_wait));
  std::string body;
  if (reservation) body.reserve(length);
  bool late = false;
  // A body is always read to its end (cpp-httplib skips an oversized one), so the
  // answer reaches the client instead of a reset.
  const bool complete = read_body([&](const char* data, std::size_t size) {
    // One absolute deadline for the whole body, whatever the pace of its bytes.
    late = AdmissionHandler::Clock::now() > deadline;
    if (late || body.size() + size > length) return false;
    // Without a reservation it is read only to keep the connection usable, and dropped.
    if (reservation) body.append(data, size);
    return true;
  });
  if (!complete || oversized) {
    response.set_header("Connection", "close");
    if (oversized)
      return refuse(413, "payload_too_large",
                    "request body exceeds " + std::to_string(options_.max_body_bytes) + " bytes");
    if (late) return refuse(408, "deadline_exceeded", "the request body did not arrive before the apiserver's timeout");
    return refuse(400, "bad_request", "the request body could not be read");
  }
  if (!reservation) {
    // client-go, with which the apiserver calls webhooks, sends the review again
    // after Retry-After (within its timeout): the write waits, it does not fail.
    response.set_header("Retry-After", "1");
    return refuse(429, "memory_budget", "too many reviews in flight; retry in a second");
  }
  // The body's own shape bounds its tree: most reviews need far less than their length allowed for.
  reservation->shrink_to(api::review_memory_bound(body.size(), common::json_shape(body).elements));
  HttpReply reply = handler_.review(body, deadline);
  response.status = reply.status;
  response.set_content(std::move(reply.body), reply.content_type.c_str());
  answered_by_this_worker.emplace(Answered{std::move(body), std::move(reply.built_from), std::move(*reservation)});
}

std::variant<int, std::string> AdmissionServer::bind() {
  if (!server_.is_valid()) return std::string("TLS setup failed");
  const std::string error = certificates_.load();
  if (!error.empty()) return "cannot load the serving certificate: " + error;
  int port = options_.port;
  if (port == 0) {
    port = server_.bind_to_any_port(options_.bind_address);
  } else if (!server_.bind_to_port(options_.bind_address, port)) {
    port = -1;
  }
  if (port < 0)
    return "cannot listen on " + options_.bind_address + ":" + std::to_string(options_.port);
  return port;
}

void AdmissionServer::serve() { server_.listen_after_bind(); }

void AdmissionServer::stop() {
  server_.stop();
  // Idle keep-alive connections would each hold a worker, and so serve(), for
  // up to the keep-alive timeout.
  connections_.stop_reading();
}

}  // namespace autocanary::server

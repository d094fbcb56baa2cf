#include "shim/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace autocanary::shim {

namespace {

const char* reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

HttpReply plain(int status, std::string body) { return {status, "text/plain; charset=utf-8", std::move(body)}; }

}  // namespace

std::variant<HttpRequestLine, int> parse_request_head(std::string_view head) {
  const auto line_end = head.find("\r\n");
  const std::string_view line = head.substr(0, line_end);
  const auto first_space = line.find(' ');
  const auto second_space = first_space == std::string_view::npos ? first_space : line.find(' ', first_space + 1);
  if (first_space == 0 || second_space == std::string_view::npos) return 400;
  const std::string_view version = line.substr(second_space + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return 400;
  std::string_view target = line.substr(first_space + 1, second_space - first_space - 1);
  if (target.empty() || target.front() != '/') return 400;
  target = target.substr(0, target.find('?'));
  return HttpRequestLine{std::string(line.substr(0, first_space)), std::string(target)};
}

std::string format_reply(const HttpReply& reply) {
  std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " " + reason_phrase(reply.status) + "\r\n";
  out += "Content-Type: " + reply.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n";
  out += "Connection: close\r\n\r\n";
  out += reply.body;
  return out;
}

HttpServer::~HttpServer() {
  for (const int fd : {listener_, wake_[0], wake_[1]})
    if (fd >= 0) ::close(fd);
}

std::variant<int, std::string> HttpServer::bind(const std::string& address, int port) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<std::uint16_t>(port));
    length = sizeof *v4;
  } else if (inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<std::uint16_t>(port));
    length = sizeof *v6;
  } else {
    return "cannot listen on " + address + ":" + std::to_string(port) + ": not an IP address";
  }
  const auto failed = [&](const char* what) {
    std::string message = "cannot listen on " + address + ":" + std::to_string(port) + ": " + what + ": " +
                          std::strerror(errno);
    if (listener_ >= 0) ::close(listener_);
    listener_ = -1;
    return message;
  };
  // Non-blocking: the poll loop accepts until none is left.
  listener_ = ::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listener_ < 0) return failed("socket");
  // SO_REUSEADDR only: SO_REUSEPORT would let a second process share the port
  // and take half the kubelet's probes.
  const int on = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&storage), length) != 0) return failed("bind");
  if (::listen(listener_, 64) != 0) return failed("listen");
  if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) return failed("pipe");
  socklen_t bound_length = sizeof storage;
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&storage), &bound_length);
  return static_cast<int>(ntohs(storage.ss_family == AF_INET ? v4->sin_port : v6->sin6_port));
}

void HttpServer::serve() {
  if (listener_ < 0) return;
  std::vector<Connection> open;
  std::vector<pollfd> fds;
  while (!stopping_) {
    const Clock::time_point now = Clock::now();
    // Past its deadline, a connection is told so if it has not sent a whole
    // request, and closed either way.
    std::erase_if(open, [&](Connection& c) {
      if (c.deadline > now) return false;
      if (c.phase == Phase::kReading) {
        const std::string late = format_reply(plain(408, "request not received in time\n"));
        [[maybe_unused]] const ssize_t sent = ::send(c.fd, late.data(), late.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      }
      ::close(c.fd);
      return true;
    });
    fds.assign({{listener_, POLLIN, 0}, {wake_[0], POLLIN, 0}});
    auto wait = std::chrono::milliseconds(-1);
    for (const Connection& c : open) {
      fds.push_back({c.fd, static_cast<short>(c.phase == Phase::kWriting ? POLLOUT : POLLIN), 0});
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(c.deadline - now);
      if (wait.count() < 0 || left < wait) wait = left;
    }
    if (::poll(fds.data(), fds.size(), static_cast<int>(wait.count())) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (stopping_ || (fds[1].revents & POLLIN) != 0) break;
    // Connection i polled as fds[i + 2]; new connections only after this.
    for (std::size_t i = 0; i < open.size(); ++i) {
      if (fds[i + 2].revents == 0 || step(open[i])) continue;
      ::close(open[i].fd);
      open[i].fd = -1;
    }
    std::erase_if(open, [](const Connection& c) { return c.fd < 0; });
    if ((fds[0].revents & POLLIN) != 0) accept_new(open);
  }
  for (const Connection& c : open) ::close(c.fd);
}

void HttpServer::stop() {
  stopping_ = true;
  if (wake_[1] >= 0) {
    const char byte = 1;
    [[maybe_unused]] const ssize_t written = ::write(wake_[1], &byte, 1);
  }
}

void HttpServer::accept_new(std::vector<Connection>& open) {
  for (;;) {
    const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (client < 0) return;  // none left (or the client already went)
    if (open.size() >= kMaxConnections) {
      // The one that has waited longest is nearest its deadline anyway.
      const auto oldest = std::min_element(open.begin(), open.end(),
                                           [](const Connection& a, const Connection& b) { return a.deadline < b.deadline; });
      ::close(oldest->fd);
      open.erase(oldest);
    }
    open.push_back({client, Clock::now() + kClientTimeout, Phase::kReading, {}, {}});
  }
}

bool HttpServer::step(Connection& connection) const {
  switch (connection.phase) {
    case Phase::kReading: return read_request(connection) && (connection.phase != Phase::kWriting || write_reply(connection));
    case Phase::kWriting: return write_reply(connection);
    case Phase::kDraining: return drain(connection);
  }
  return false;
}

bool HttpServer::read_request(Connection& connection) const {
  char buffer[1024];
  for (;;) {
    const ssize_t got = ::recv(connection.fd, buffer, sizeof buffer, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;  // more later
    if (got <= 0) return false;  // closed before a whole request
    connection.in.append(buffer, static_cast<std::size_t>(got));
    if (connection.in.find("\r\n\r\n") != std::string::npos) {
      connection.out = reply_to(connection.in);
    } else if (connection.in.size() >= kMaxRequestBytes) {
      connection.out = format_reply(plain(431, "request too large\n"));
    } else {
      continue;
    }
    connection.in.clear();
    connection.phase = Phase::kWriting;
    return true;
  }
}

bool HttpServer::write_reply(Connection& connection) {
  while (!connection.out.empty()) {
    const ssize_t sent = ::send(connection.fd, connection.out.data(), connection.out.size(), MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;  // when it reads
    if (sent <= 0) return false;
    connection.out.erase(0, static_cast<std::size_t>(sent));
  }
  ::shutdown(connection.fd, SHUT_WR);
  connection.phase = Phase::kDraining;
  return drain(connection);
}

bool HttpServer::drain(Connection& connection) {
  char sink[1024];
  for (;;) {
    const ssize_t got = ::recv(connection.fd, sink, sizeof sink, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;  // until it closes, or the deadline
    if (got <= 0) return false;  // closed: done
  }
}

std::string HttpServer::reply_to(const std::string& head) const {
  const auto parsed = parse_request_head(head);
  if (const int* status = std::get_if<int>(&parsed)) return format_reply(plain(*status, "malformed request line\n"));
  const auto& request = std::get<HttpRequestLine>(parsed);
  const auto handler = handlers_.find(request.path);
  if (handler == handlers_.end()) return format_reply(plain(404, "no such path\n"));
  if (request.method != "GET" && request.method != "HEAD") return format_reply(plain(405, "only GET\n"));
  const HttpReply reply = handler->second();
  std::string bytes = format_reply(reply);
  if (request.method == "HEAD") bytes.resize(bytes.size() - reply.body.size());
  return bytes;
}

}  // namespace autocanary::shim

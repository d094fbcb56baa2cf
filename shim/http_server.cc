#include "shim/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

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

void send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t sent = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return;  // the client left; nothing to tell it
    bytes.remove_prefix(static_cast<std::size_t>(sent));
  }
}

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
  // Non-blocking: both accepting threads wake for one connection, and the one
  // that loses the race must not then wait in accept().
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
  std::thread second([this] { accept_loop(); });
  accept_loop();
  second.join();
}

void HttpServer::stop() {
  stopping_ = true;
  if (wake_[1] >= 0) {
    const char byte = 1;
    [[maybe_unused]] const ssize_t written = ::write(wake_[1], &byte, 1);
  }
}

void HttpServer::accept_loop() {
  while (!stopping_) {
    pollfd fds[2] = {{listener_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (stopping_ || (fds[1].revents & POLLIN) != 0) return;
    const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;  // the other thread took it, or the client left
    answer(client);
    ::close(client);
  }
}

void HttpServer::answer(int client) {
  const timeval timeout{static_cast<time_t>(kClientTimeout.count() / 1000),
                        static_cast<suseconds_t>((kClientTimeout.count() % 1000) * 1000)};
  ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  std::string head;
  char buffer[1024];
  while (head.find("\r\n\r\n") == std::string::npos) {
    if (head.size() >= kMaxRequestBytes) {
      send_all(client, format_reply(plain(431, "request too large\n")));
      // Read what the client still sends before closing: closing over unread
      // bytes resets the connection, and the client could lose the answer.
      ::shutdown(client, SHUT_WR);
      for (std::size_t drained = 0; drained < 16 * kMaxRequestBytes;) {
        const ssize_t got = ::recv(client, buffer, sizeof buffer, 0);
        if (got <= 0) break;
        drained += static_cast<std::size_t>(got);
      }
      return;
    }
    const ssize_t got = ::recv(client, buffer, sizeof buffer, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return send_all(client, format_reply(plain(408, "request not received in time\n")));
    if (got <= 0) return;  // closed before a whole request
    head.append(buffer, static_cast<std::size_t>(got));
  }
  const auto parsed = parse_request_head(head);
  if (const int* status = std::get_if<int>(&parsed))
    return send_all(client, format_reply(plain(*status, "malformed request line\n")));
  const auto& request = std::get<HttpRequestLine>(parsed);
  const auto handler = handlers_.find(request.path);
  if (handler == handlers_.end()) return send_all(client, format_reply(plain(404, "no such path\n")));
  if (request.method != "GET" && request.method != "HEAD")
    return send_all(client, format_reply(plain(405, "only GET\n")));
  HttpReply reply = handler->second();
  std::string bytes = format_reply(reply);
  if (request.method == "HEAD") bytes.resize(bytes.size() - reply.body.size());
  send_all(client, bytes);
}

}  // namespace autocanary::shim

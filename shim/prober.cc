#include "shim/prober.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string_view>

#include "common/duration.h"
#include "shim/tls_session.h"

namespace autocanary::shim {

namespace {

using Clock = std::chrono::steady_clock;

// The kubelet reads at most this much of a probe's response; so do we, so an
// endless body cannot keep a probe busy.
constexpr std::size_t kMaxResponseBytes = 10 * 1024;
constexpr std::string_view kTimedOut = "timed out";

std::string error_text(int error) {
  char buffer[128];
  std::string text = strerror_r(error, buffer, sizeof buffer);
  if (!text.empty() && text[0] >= 'A' && text[0] <= 'Z') text[0] = static_cast<char>(text[0] - 'A' + 'a');
  return text;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

// One connection of one probe: a non-blocking socket, TLS over it when asked,
// every wait bounded by the probe's deadline and the prober's cancel signal.
class Connection {
 public:
  Connection(int cancel_fd, Clock::time_point deadline) : cancel_fd_(cancel_fd), deadline_(deadline) {}
  ~Connection() {
    tls_.reset();  // before the socket it runs over
    if (fd_ >= 0) close(fd_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // On failure the outcome says why.
  bool open(const ProbeTarget& target, ProbeOutcome& failure) {
    const auto& address = reinterpret_cast<const sockaddr&>(target.address);
    fd_ = socket(address.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return fail(failure, "socket: " + error_text(errno));
    if (connect(fd_, &address, target.address_length) != 0) {
      if (errno != EINPROGRESS) return fail(failure, error_text(errno));
      if (!wait(POLLOUT, failure)) return false;
      int error = 0;
      socklen_t length = sizeof error;
      getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length);
      if (error != 0) return fail(failure, error_text(error));
    }
    return true;
  }

  // The request goes out in one write; do not hold it back.
  void send_at_once() noexcept {
    const int on = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  }

  bool start_tls(ProbeOutcome& failure) {
    std::string error;
    tls_ = shim::start_tls(fd_, error);
    if (tls_ == nullptr) return fail(failure, std::move(error));
    for (;;) {
      const TlsStep step = tls_->handshake();
      if (step.status == TlsStep::Status::kDone) return true;
      if (!wait_tls(step, failure, "TLS handshake")) return false;
    }
  }

  bool write_all(std::string_view data, ProbeOutcome& failure) {
    while (!data.empty()) {
      std::size_t written = 0;
      if (tls_ != nullptr) {
        const TlsStep step = tls_->write(data);
        if (step.status == TlsStep::Status::kDone) {
          written = step.bytes;
        } else if (!wait_tls(step, failure, "TLS write")) {
          return false;
        }
      } else {
        const ssize_t sent = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
        if (sent >= 0) {
          written = static_cast<std::size_t>(sent);
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
          if (!wait(POLLOUT, failure)) return false;
        } else if (errno != EINTR) {
          return fail(failure, "write: " + error_text(errno));
        }
      }
      data.remove_prefix(written);
    }
    return true;
  }

  // Bytes read (0 at the end of the stream), or -1 with the failure filled in.
  std::ptrdiff_t read_some(char* buffer, std::size_t size, ProbeOutcome& failure) {
    for (;;) {
      if (tls_ != nullptr) {
        const TlsStep step = tls_->read(buffer, size);
        if (step.status == TlsStep::Status::kDone) return static_cast<std::ptrdiff_t>(step.bytes);
        if (step.status == TlsStep::Status::kClosed) return 0;
        if (!wait_tls(step, failure, "TLS read")) return -1;
      } else {
        const ssize_t got = recv(fd_, buffer, size, 0);
        if (got >= 0) return got;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          if (!wait(POLLIN, failure)) return -1;
        } else if (errno != EINTR) {
          fail(failure, "read: " + error_text(errno));
          return -1;
        }
      }
    }
  }

 private:
  static bool fail(ProbeOutcome& failure, std::string detail) {
    failure = {false, std::move(detail)};
    return false;
  }

  bool wait(short events, ProbeOutcome& failure) {
    pollfd fds[2] = {{fd_, events, 0}, {cancel_fd_, POLLIN, 0}};
    for (;;) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_ - Clock::now()).count();
      if (left <= 0) return fail(failure, std::string(kTimedOut));
      const int ready = poll(fds, 2, static_cast<int>(std::min<long long>(left, 60'000)));
      if (ready < 0 && errno == EINTR) continue;
      if (ready < 0) return fail(failure, "poll: " + error_text(errno));
      if (fds[1].revents != 0) return fail(failure, "cancelled");
      if (ready > 0) return true;  // an error or hang-up shows in the next call
    }
  }

  // After a TLS step that did not complete: waits as it asks, or fills in why
  // it failed.
  bool wait_tls(const TlsStep& step, ProbeOutcome& failure, std::string_view what) {
    switch (step.status) {
      case TlsStep::Status::kWantRead: return wait(POLLIN, failure);
      case TlsStep::Status::kWantWrite: return wait(POLLOUT, failure);
      case TlsStep::Status::kClosed: return fail(failure, std::string(what) + ": connection closed");
      case TlsStep::Status::kDone: return true;
      case TlsStep::Status::kFailed: break;
    }
    if (step.system_error != 0) return fail(failure, std::string(what) + ": " + error_text(step.system_error));
    return fail(failure, std::string(what) + ": " + step.error);
  }

  int cancel_fd_;
  Clock::time_point deadline_;
  int fd_ = -1;
  std::unique_ptr<TlsSession> tls_;
};

// "HTTP/1.1 200 OK" → 200.
std::optional<int> parse_status_line(std::string_view line) {
  if (!line.starts_with("HTTP/") || line.size() < 12) return std::nullopt;
  const auto space = line.find(' ');
  if (space == std::string_view::npos || space + 4 > line.size()) return std::nullopt;
  int status = 0;
  const char* first = line.data() + space + 1;
  const auto [end, error] = std::from_chars(first, first + 3, status);
  if (error != std::errc() || end != first + 3 || status < 100 || status > 999) return std::nullopt;
  return status;
}

// Content-Length from a complete response head, if it has one.
std::optional<std::size_t> content_length(std::string_view head) {
  std::size_t start = head.find("\r\n");
  while (start != std::string_view::npos && start + 2 < head.size()) {
    const std::size_t end = head.find("\r\n", start + 2);
    const std::string_view line = head.substr(start + 2, end == std::string_view::npos ? end : end - start - 2);
    const auto colon = line.find(':');
    if (colon != std::string_view::npos && iequals(line.substr(0, colon), "content-length")) {
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
      std::size_t length = 0;
      const auto [ptr, error] = std::from_chars(value.data(), value.data() + value.size(), length);
      if (error == std::errc()) return length;
      return std::nullopt;
    }
    start = end;
  }
  return std::nullopt;
}

// Reads the status and then, best effort and within the deadline, the rest of a
// short response, so the app sees its answer read rather than a reset.
ProbeOutcome read_http_response(Connection& connection) {
  std::array<char, 4096> head{};
  std::array<char, 4096> discard{};
  std::size_t head_bytes = 0;
  std::size_t total = 0;
  std::optional<int> status;
  std::optional<std::size_t> expected;
  ProbeOutcome failure;
  for (;;) {
    const bool into_head = head_bytes < head.size();
    char* buffer = into_head ? head.data() + head_bytes : discard.data();
    const std::size_t room = into_head ? head.size() - head_bytes : discard.size();
    const std::ptrdiff_t got = connection.read_some(buffer, room, failure);
    if (got <= 0) {
      if (status) break;  // the status decides; the rest was best effort
      if (got == 0) return {false, "connection closed before a response"};
      return failure;
    }
    total += static_cast<std::size_t>(got);
    if (into_head) head_bytes += static_cast<std::size_t>(got);
    const std::string_view seen(head.data(), head_bytes);
    if (!status) {
      const auto line_end = seen.find("\r\n");
      if (line_end == std::string_view::npos) {
        if (head_bytes == head.size()) return {false, "malformed response"};
        continue;
      }
      status = parse_status_line(seen.substr(0, line_end));
      if (!status) return {false, "malformed response"};
    }
    if (!expected) {
      if (const auto head_end = seen.find("\r\n\r\n"); head_end != std::string_view::npos) {
        const auto length = content_length(seen.substr(0, head_end + 2));
        expected = head_end + 4 + std::min(length.value_or(kMaxResponseBytes), kMaxResponseBytes);
      }
    }
    if ((expected && total >= *expected) || total >= kMaxResponseBytes + head.size()) break;
  }
  const bool success = *status >= 200 && *status < 400;
  return {success, "HTTP " + std::to_string(*status)};
}

}  // namespace

std::string http_probe_request(const ProbeSpec& spec) {
  const bool ipv6 = spec.host.find(':') != std::string::npos;
  std::string host = (ipv6 ? "[" + spec.host + "]" : spec.host) + ":" + std::to_string(spec.port);
  std::string user_agent = "kube-probe/autocanary-shim";
  std::string accept = "*/*";
  std::string extra;
  for (const auto& header : spec.headers) {
    if (iequals(header.name, "host")) {
      host = header.value;
    } else if (iequals(header.name, "user-agent")) {
      user_agent = header.value;
    } else if (iequals(header.name, "accept")) {
      accept = header.value;
    } else {
      extra += header.name + ": " + header.value + "\r\n";
    }
  }
  std::string request = "GET " + spec.path + " HTTP/1.1\r\nHost: " + host + "\r\n";
  if (!user_agent.empty()) request += "User-Agent: " + user_agent + "\r\n";
  if (!accept.empty()) request += "Accept: " + accept + "\r\n";
  return request + extra + "Connection: close\r\n\r\n";
}

ProbeTarget make_probe_target(ProbeSpec spec) {
  ProbeTarget target;
  target.name = spec.name();
  if (spec.kind != ProbeKind::kTcp) target.request = http_probe_request(spec);
  const auto port = htons(static_cast<std::uint16_t>(spec.port));
  auto* v4 = reinterpret_cast<sockaddr_in*>(&target.address);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&target.address);
  if (inet_pton(AF_INET, spec.host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = port;
    target.address_length = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, spec.host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = port;
    target.address_length = sizeof(sockaddr_in6);
  }  // else: parsing checked the host is an address; an unset one fails to connect
  target.spec = std::move(spec);
  return target;
}

Prober::Prober() : cancel_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

Prober::~Prober() {
  if (cancel_fd_ >= 0) close(cancel_fd_);
}

void Prober::cancel() noexcept {
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto written = write(cancel_fd_, &one, sizeof one);
}

ProbeOutcome Prober::run(const ProbeTarget& target) {
  const auto timeout = target.spec.timing.timeout;
  Connection connection(cancel_fd_, Clock::now() + timeout);
  ProbeOutcome outcome;
  const auto done = [&](ProbeOutcome result) {
    if (result.detail == kTimedOut) result.detail = "timed out after " + common::format_duration(timeout);
    return result;
  };
  if (!connection.open(target, outcome)) return done(std::move(outcome));
  if (target.spec.kind == ProbeKind::kTcp) return {true, "connected"};
  connection.send_at_once();
  if (target.spec.kind == ProbeKind::kHttps && !connection.start_tls(outcome)) return done(std::move(outcome));
  if (!connection.write_all(target.request, outcome)) return done(std::move(outcome));
  return done(read_http_response(connection));
}

}  // namespace autocanary::shim

// The smallest HTTP/1.1 server the shim's three GET endpoints need: one
// request per connection (answered with Connection: close), requests bounded
// to 4 KiB. One thread serves every connection at once from a poll loop, and
// each connection has one absolute deadline from its accept — to send its
// request and read the answer — so a client that trickles bytes or never reads
// holds nothing and never delays the kubelet's probe. When kMaxConnections are
// open, a new one takes the place of the one that has waited longest. It lets
// the shim link statically: a pod's sidecar should cost the pod next to nothing.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace autocanary::shim {

struct HttpReply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// What one request asks: its method and path (without the query), or the
// status that refuses it.
struct HttpRequestLine {
  std::string method;
  std::string path;
  bool operator==(const HttpRequestLine&) const = default;
};
[[nodiscard]] std::variant<HttpRequestLine, int> parse_request_head(std::string_view head);

// The bytes of a reply, headers and body.
[[nodiscard]] std::string format_reply(const HttpReply& reply);

class HttpServer {
 public:
  using Handler = std::function<HttpReply()>;

  HttpServer() = default;
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // GET `path` answers with `handler`; other paths 404, other methods 405.
  void get(std::string path, Handler handler) { handlers_[std::move(path)] = std::move(handler); }

  // The bound port (the one asked for, or a free one for 0), or why not.
  [[nodiscard]] std::variant<int, std::string> bind(const std::string& address, int port);
  // Accepts and answers until stop(); returns at once if stop() came first.
  void serve();
  // From any thread, at any time.
  void stop();

  static constexpr std::size_t kMaxRequestBytes = 4096;
  static constexpr std::chrono::milliseconds kClientTimeout{1000};
  static constexpr std::size_t kMaxConnections = 64;

 private:
  using Clock = std::chrono::steady_clock;
  // A connection reads its request, writes the reply, then drains what the
  // client still sends until it closes: closing over unread bytes would reset
  // the connection and could lose the reply before the client read it.
  enum class Phase { kReading, kWriting, kDraining };
  struct Connection {
    int fd = -1;
    Clock::time_point deadline;
    Phase phase = Phase::kReading;
    std::string in;
    std::string out;  // the reply, once the request is whole
  };

  void accept_new(std::vector<Connection>& open);
  // One step of the connection's phase; false when the connection is done.
  [[nodiscard]] bool step(Connection& connection) const;
  [[nodiscard]] bool read_request(Connection& connection) const;
  [[nodiscard]] static bool write_reply(Connection& connection);
  [[nodiscard]] static bool drain(Connection& connection);
  [[nodiscard]] std::string reply_to(const std::string& head) const;

  std::map<std::string, Handler, std::less<>> handlers_;
  int listener_ = -1;
  int wake_[2] = {-1, -1};  // a pipe: stop() writes, the accept loops wake
  std::atomic<bool> stopping_{false};
};

}  // namespace autocanary::shim

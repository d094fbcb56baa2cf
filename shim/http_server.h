// The smallest HTTP/1.1 server the shim's three GET endpoints need: one
// request per connection (answered with Connection: close), requests bounded
// to 4 KiB and to a one-second read, two threads accepting so that one slow
// client cannot hold the kubelet's next probe. It lets the shim link
// statically: a pod's sidecar should cost the pod next to nothing.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <variant>

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

 private:
  void accept_loop();
  void answer(int client);

  std::map<std::string, Handler, std::less<>> handlers_;
  int listener_ = -1;
  int wake_[2] = {-1, -1};  // a pipe: stop() writes, the accept loops wake
  std::atomic<bool> stopping_{false};
};

}  // namespace autocanary::shim

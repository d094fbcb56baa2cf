// A cpp-httplib server on a free 127.0.0.1 port for the providers' tests: it
// answers with whatever the test sets (one answer, or one chosen per request)
// and keeps what it was sent.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

namespace autocanary::testing {

class LocalHttpServer {
 public:
  struct Answer {
    int status = 200;
    std::string body;
    std::chrono::milliseconds delay{0};
  };

  LocalHttpServer() {
    server_.Post(".*", [this](const httplib::Request& request, httplib::Response& response) {
      Answer answer;
      {
        const std::lock_guard lock(mutex_);
        received_.push_back(request);
        answer = choose_ ? choose_(request) : answer_;
      }
      if (answer.delay.count() > 0) std::this_thread::sleep_for(answer.delay);
      response.status = answer.status;
      response.set_content(answer.body, "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~LocalHttpServer() {
    server_.stop();
    thread_.join();
  }

  void answer(Answer answer) {
    const std::lock_guard lock(mutex_);
    answer_ = std::move(answer);
  }
  void answer_by(std::function<Answer(const httplib::Request&)> choose) {
    const std::lock_guard lock(mutex_);
    choose_ = std::move(choose);
  }
  [[nodiscard]] std::vector<httplib::Request> received() const {
    const std::lock_guard lock(mutex_);
    return received_;
  }
  [[nodiscard]] std::string url(const std::string& path = "") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  Answer answer_;
  std::function<Answer(const httplib::Request&)> choose_;
  std::vector<httplib::Request> received_;
};

// A 127.0.0.1 port nothing listens on (bound, then released).
inline int closed_port() {
  httplib::Server server;
  return server.bind_to_any_port("127.0.0.1");
}

}  // namespace autocanary::testing

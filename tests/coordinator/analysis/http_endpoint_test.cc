#include "coordinator/analysis/http_endpoint.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <stop_token>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

namespace autocanary::analysis {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A listening socket on 127.0.0.1 that never accepts: the kernel completes
// up to `backlog` + 1 handshakes into its queue and drops further SYNs, so a
// client either waits for an answer that never comes or, once the queue is
// full, for its connect.
class SilentListener {
 public:
  explicit SilentListener(int backlog) {
    socket_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    EXPECT_EQ(::bind(socket_, reinterpret_cast<sockaddr*>(&address), size), 0);
    EXPECT_EQ(::listen(socket_, backlog), 0);
    EXPECT_EQ(::getsockname(socket_, reinterpret_cast<sockaddr*>(&address), &size), 0);
    port_ = ntohs(address.sin_port);
  }
  ~SilentListener() {
    for (const int client : clients_) ::close(client);
    ::close(socket_);
  }
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;

  // Starts a connect without waiting; true if it completed within `wait`.
  bool connect_within(std::chrono::milliseconds wait) {
    const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    clients_.push_back(client);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(port_));
    if (::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) return true;
    pollfd ready{client, POLLOUT, 0};
    return ::poll(&ready, 1, static_cast<int>(wait.count())) == 1;
  }

  [[nodiscard]] Endpoint endpoint() const { return Endpoint{false, "127.0.0.1", port_, ""}; }

 private:
  int socket_ = -1;
  int port_ = 0;
  std::vector<int> clients_;
};

HttpAccess ten_seconds() {
  HttpAccess access;
  access.timeout = 10s;
  return access;
}

// post() to `endpoint` with a stop requested after `after`: its result and how long it took.
std::pair<std::variant<HttpAnswer, std::string>, Clock::duration> post_stopped_after(const Endpoint& endpoint,
                                                                                   std::chrono::milliseconds after) {
  std::stop_source stop;
  std::jthread stopper([&stop, after] {
    std::this_thread::sleep_for(after);
    stop.request_stop();
  });
  const auto started = Clock::now();
  auto answer = post(endpoint, ten_seconds(), "/api/v1/query", "query=up", "application/x-www-form-urlencoded",
                     stop.get_token());
  return {std::move(answer), Clock::now() - started};
}

TEST(HttpEndpointTest, AStopCutsOffARequestWaitingForItsAnswer) {
  SilentListener listener(8);
  const auto [answer, took] = post_stopped_after(listener.endpoint(), 300ms);
  ASSERT_TRUE(std::holds_alternative<std::string>(answer));
  EXPECT_EQ(std::get<std::string>(answer), "cancelled while asking http://127.0.0.1:" +
                                               std::to_string(listener.endpoint().port) + "/api/v1/query");
  EXPECT_GE(took, 300ms) << "it waited for the answer until the stop";
  EXPECT_LT(took, 2s) << "not for its 10 s read timeout";
}

TEST(HttpEndpointTest, AStopCutsOffAConnectUnderWay) {
  SilentListener listener(0);
  ASSERT_TRUE(listener.connect_within(1s)) << "the queue takes one connection";
  ASSERT_FALSE(listener.connect_within(300ms)) << "then the listener drops SYNs: a connect hangs";
  const auto [answer, took] = post_stopped_after(listener.endpoint(), 300ms);
  ASSERT_TRUE(std::holds_alternative<std::string>(answer));
  EXPECT_TRUE(std::get<std::string>(answer).starts_with("cancelled while asking"));
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 2s) << "not for its 10 s connect timeout";
}

TEST(HttpEndpointTest, NothingIsAskedOnceStopped) {
  SilentListener listener(8);
  std::stop_source stop;
  stop.request_stop();
  const auto answer = post(listener.endpoint(), ten_seconds(), "", "{}", "application/json", stop.get_token());
  ASSERT_TRUE(std::holds_alternative<std::string>(answer));
  EXPECT_TRUE(std::get<std::string>(answer).starts_with("cancelled before asking"));
}

}  // namespace
}  // namespace autocanary::analysis

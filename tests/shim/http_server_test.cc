#include "shim/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace autocanary::shim {
namespace {

TEST(ParseRequestHead, ReadsTheMethodAndThePathWithoutTheQuery) {
  const auto parsed = parse_request_head("GET /ready?verbose=1 HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(std::holds_alternative<HttpRequestLine>(parsed));
  EXPECT_EQ(std::get<HttpRequestLine>(parsed).method, "GET");
  EXPECT_EQ(std::get<HttpRequestLine>(parsed).path, "/ready");
}

TEST(ParseRequestHead, RefusesWhatIsNotAnHttpRequestLine) {
  for (const char* head : {"", "GET\r\n\r\n", "GET /ready\r\n\r\n", "GET ready HTTP/1.1\r\n\r\n",
                           "GET /ready HTTP/2\r\n\r\n", " /ready HTTP/1.1\r\n\r\n", "\x16\x03\x01 binary"})
    EXPECT_EQ(parse_request_head(head), (std::variant<HttpRequestLine, int>(400))) << head;
}

TEST(FormatReply, CarriesLengthTypeAndConnectionClose) {
  EXPECT_EQ(format_reply({503, "text/plain; charset=utf-8", "not ready\n"}),
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: 10\r\nConnection: close\r\n\r\nnot ready\n");
}

// A client connected to the server on 127.0.0.1.
int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  return fd;
}

// One raw exchange with the server: what was sent, what came back.
std::string round_trip(int port, const std::string& request) {
  const int fd = connect_to(port);
  if (!request.empty()) ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string reply;
  char buffer[512];
  for (ssize_t got; (got = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) reply.append(buffer, static_cast<std::size_t>(got));
  ::close(fd);
  return reply;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server.get("/ready", [] { return HttpReply{200, "text/plain; charset=utf-8", "ready\n"}; });
    const auto bound = server.bind("127.0.0.1", 0);
    ASSERT_TRUE(std::holds_alternative<int>(bound)) << std::get<std::string>(bound);
    port = std::get<int>(bound);
    serving = std::thread([this] { server.serve(); });
  }
  void TearDown() override {
    server.stop();
    serving.join();
  }
  HttpServer server;
  int port = 0;
  std::thread serving;
};

TEST_F(HttpServerTest, AnswersAKnownPath) {
  const std::string reply = round_trip(port, "GET /ready HTTP/1.1\r\nHost: pod\r\n\r\n");
  EXPECT_EQ(reply.substr(0, 15), "HTTP/1.1 200 OK");
  EXPECT_TRUE(reply.ends_with("\r\n\r\nready\n")) << reply;
}

TEST_F(HttpServerTest, BadRequestsGetAClearStatus) {
  EXPECT_EQ(round_trip(port, "GET /nope HTTP/1.1\r\n\r\n").substr(0, 12), "HTTP/1.1 404");
  EXPECT_EQ(round_trip(port, "POST /ready HTTP/1.1\r\nContent-Length: 0\r\n\r\n").substr(0, 12), "HTTP/1.1 405");
  EXPECT_EQ(round_trip(port, "hello\r\n\r\n").substr(0, 12), "HTTP/1.1 400");
  EXPECT_EQ(round_trip(port, "GET /ready HTTP/1.1\r\nX: " + std::string(8192, 'a') + "\r\n\r\n").substr(0, 12),
            "HTTP/1.1 431");
  const std::string head = round_trip(port, "HEAD /ready HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200") && head.ends_with("\r\n\r\n")) << "HEAD: headers only";
}

TEST_F(HttpServerTest, ASilentClientIsDroppedAndDoesNotHoldTheNextProbe) {
  // One client connects and sends nothing; a probe right after is still answered.
  const int idle = connect_to(port);
  EXPECT_EQ(round_trip(port, "GET /ready HTTP/1.1\r\n\r\n").substr(0, 15), "HTTP/1.1 200 OK");
  char buffer[256];
  const ssize_t got = ::recv(idle, buffer, sizeof buffer, 0);
  ASSERT_GT(got, 0);
  EXPECT_EQ(std::string(buffer, 12), "HTTP/1.1 408") << "the silent client is told, then closed";
  ::close(idle);
}

TEST_F(HttpServerTest, ClientsTricklingBytesNeitherHoldTheProbeNorOutliveTheirDeadline) {
  // Eight clients each send one byte of a request every 100 ms: a server that
  // timed out per read would stay busy with them for minutes.
  std::vector<int> slow;
  for (int i = 0; i < 8; ++i) slow.push_back(connect_to(port));
  std::atomic<bool> trickling{true};
  std::thread trickle([&] {
    const std::string request = "GET /ready HTTP/1.1\r\nX-Padding: " + std::string(200, 'a') + "\r\n\r\n";
    for (std::size_t at = 0; trickling && at < request.size(); ++at) {
      for (const int fd : slow) ::send(fd, &request[at], 1, MSG_NOSIGNAL);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  // A probe's whole exchange fits well inside one probe period (1 s at the least).
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(round_trip(port, "GET /ready HTTP/1.1\r\n\r\n").substr(0, 15), "HTTP/1.1 200 OK");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(500));
  // Each slow client is cut off at its deadline, one second after it connected.
  for (const int fd : slow) {
    char buffer[256];
    const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
    ASSERT_GT(got, 0);
    EXPECT_EQ(std::string(buffer, 12), "HTTP/1.1 408");
  }
  trickling = false;
  trickle.join();
  for (const int fd : slow) ::close(fd);
}

TEST_F(HttpServerTest, ANewConnectionIsServedWhenAllPlacesAreTaken) {
  std::vector<int> idle;
  for (std::size_t i = 0; i < HttpServer::kMaxConnections + 4; ++i) idle.push_back(connect_to(port));
  EXPECT_EQ(round_trip(port, "GET /ready HTTP/1.1\r\n\r\n").substr(0, 15), "HTTP/1.1 200 OK");
  for (const int fd : idle) ::close(fd);
}

TEST(HttpServer, StopBeforeServeReturnsAtOnceAndAPortInUseIsExplained) {
  HttpServer first;
  const auto bound = first.bind("127.0.0.1", 0);
  ASSERT_TRUE(std::holds_alternative<int>(bound));
  HttpServer second;
  const auto refused = second.bind("127.0.0.1", std::get<int>(bound));
  ASSERT_TRUE(std::holds_alternative<std::string>(refused));
  EXPECT_NE(std::get<std::string>(refused).find("Address already in use"), std::string::npos);
  first.stop();
  first.serve();  // returns: stop came first
  EXPECT_TRUE(std::holds_alternative<std::string>(second.bind("not-an-ip", 0)));
}

}  // namespace
}  // namespace autocanary::shim

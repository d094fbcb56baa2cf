// The prober against real sockets on 127.0.0.1: an HTTP(S) app on a free port,
// a closed port, and peers that answer nonsense or nothing.
#include "shim/prober.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "tests/support/test_certificates.h"

namespace autocanary::shim {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

ProbeTarget target(ProbeKind kind, int port, std::string path = "/",
                   std::chrono::milliseconds timeout = 1s, std::vector<HttpHeader> headers = {}) {
  ProbeSpec spec;
  spec.kind = kind;
  spec.host = "127.0.0.1";
  spec.port = port;
  spec.path = std::move(path);
  spec.headers = std::move(headers);
  spec.timing.timeout = timeout;
  return make_probe_target(std::move(spec));
}

// A port nothing listens on: bound, then closed.
int closed_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  bind(fd, reinterpret_cast<sockaddr*>(&address), length);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

// A listening socket that accepts and then does what the test says.
class RawPeer {
 public:
  explicit RawPeer(std::string reply) : reply_(std::move(reply)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    bind(fd_, reinterpret_cast<sockaddr*>(&address), length);
    listen(fd_, 4);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] {
      const int client = accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      if (!reply_.empty()) {
        char request[1024];
        [[maybe_unused]] const auto got = recv(client, request, sizeof request, 0);
        [[maybe_unused]] const auto sent = send(client, reply_.data(), reply_.size(), MSG_NOSIGNAL);
      }
      char drain[64];
      while (recv(client, drain, sizeof drain, 0) > 0) {
      }
      close(client);
    });
  }
  ~RawPeer() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  [[nodiscard]] int port() const { return port_; }

 private:
  std::string reply_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

void serve_app(httplib::Server& app) {
  app.Get("/ok", [](const httplib::Request& request, httplib::Response& response) {
    response.set_content(request.get_header_value("X-Probe") + "|" + request.get_header_value("Host") + "|" +
                             request.get_header_value("User-Agent"),
                         "text/plain");
  });
  app.Get("/fail", [](const httplib::Request&, httplib::Response& response) { response.status = 500; });
  app.Get("/moved", [](const httplib::Request&, httplib::Response& response) {
    response.status = 302;
    response.set_header("Location", "/ok");
  });
  app.Get("/missing", [](const httplib::Request&, httplib::Response& response) { response.status = 404; });
  app.Get("/slow", [](const httplib::Request&, httplib::Response& response) {
    std::this_thread::sleep_for(1500ms);
    response.set_content("late", "text/plain");
  });
  app.Get("/large", [](const httplib::Request&, httplib::Response& response) {
    response.set_content(std::string(1 << 20, 'x'), "text/plain");
  });
}

class ShimProberTest : public ::testing::Test {
 protected:
  void SetUp() override {
    serve_app(app);
    port = app.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port, 0);
    serving = std::thread([this] { app.listen_after_bind(); });
    // httplib's stop() is lost if it comes before listening begins.
    while (!app.is_running()) std::this_thread::sleep_for(1ms);
  }
  void TearDown() override {
    app.stop();
    serving.join();
  }

  httplib::Server app;
  int port = 0;
  std::thread serving;
  Prober prober;
};

TEST_F(ShimProberTest, StatusDecidesAsForTheKubelet) {
  EXPECT_TRUE(prober.run(target(ProbeKind::kHttp, port, "/ok")).success);
  EXPECT_TRUE(prober.run(target(ProbeKind::kHttp, port, "/moved")).success) << "3xx passes, not followed";
  const auto failed = prober.run(target(ProbeKind::kHttp, port, "/fail"));
  EXPECT_FALSE(failed.success);
  EXPECT_EQ(failed.detail, "HTTP 500");
  EXPECT_EQ(prober.run(target(ProbeKind::kHttp, port, "/missing")).detail, "HTTP 404");
}

TEST_F(ShimProberTest, TcpConnects) {
  const auto outcome = prober.run(target(ProbeKind::kTcp, port));
  EXPECT_TRUE(outcome.success);
  EXPECT_EQ(outcome.detail, "connected");
}

TEST_F(ShimProberTest, ClosedPortIsRefused) {
  const int closed = closed_port();
  for (const auto kind : {ProbeKind::kTcp, ProbeKind::kHttp}) {
    const auto outcome = prober.run(target(kind, closed));
    EXPECT_FALSE(outcome.success);
    EXPECT_EQ(outcome.detail, "connection refused");
  }
}

TEST_F(ShimProberTest, SlowAppTimesOutOnTime) {
  const auto begin = Clock::now();
  const auto outcome = prober.run(target(ProbeKind::kHttp, port, "/slow", 200ms));
  const auto took = Clock::now() - begin;
  EXPECT_FALSE(outcome.success);
  EXPECT_EQ(outcome.detail, "timed out after 200ms");
  EXPECT_GE(took, 200ms);
  EXPECT_LT(took, 700ms);
}

TEST_F(ShimProberTest, LargeBodyIsNotReadToTheEnd) {
  const auto begin = Clock::now();
  EXPECT_TRUE(prober.run(target(ProbeKind::kHttp, port, "/large")).success);
  EXPECT_LT(Clock::now() - begin, 900ms);
}

TEST_F(ShimProberTest, HeadersAreSentAndMayReplaceHost) {
  // The request carries what the probe's httpHeaders say.
  const auto spec = target(ProbeKind::kHttp, port, "/ok", 1s, {{"X-Probe", "shim"}, {"Host", "app.local"}});
  EXPECT_NE(spec.request.find("X-Probe: shim\r\n"), std::string::npos);
  EXPECT_NE(spec.request.find("Host: app.local\r\n"), std::string::npos);
  EXPECT_EQ(spec.request.find("Host: 127.0.0.1"), std::string::npos);
  EXPECT_TRUE(prober.run(spec).success);
}

TEST(ShimProberRequestTest, RequestLooksLikeTheKubelets) {
  ProbeSpec spec;
  spec.kind = ProbeKind::kHttp;
  spec.host = "::1";
  spec.port = 8080;
  spec.path = "/healthz?x=1";
  EXPECT_EQ(http_probe_request(spec),
            "GET /healthz?x=1 HTTP/1.1\r\nHost: [::1]:8080\r\nUser-Agent: kube-probe/autocanary-shim\r\n"
            "Accept: */*\r\nConnection: close\r\n\r\n");
  spec.headers = {{"user-agent", ""}, {"Accept", "application/json"}};
  EXPECT_EQ(http_probe_request(spec),
            "GET /healthz?x=1 HTTP/1.1\r\nHost: [::1]:8080\r\nAccept: application/json\r\nConnection: close\r\n\r\n");
}

TEST(ShimProberPeerTest, NonsenseIsAMalformedResponse) {
  RawPeer peer("SSH-2.0-OpenSSH_9.2\r\n");
  Prober prober;
  const auto outcome = prober.run(target(ProbeKind::kHttp, peer.port()));
  EXPECT_FALSE(outcome.success);
  EXPECT_EQ(outcome.detail, "malformed response");
}

TEST(ShimProberPeerTest, SilentPeerTimesOut) {
  RawPeer peer("");
  Prober prober;
  const auto outcome = prober.run(target(ProbeKind::kHttp, peer.port(), "/", 150ms));
  EXPECT_FALSE(outcome.success);
  EXPECT_EQ(outcome.detail, "timed out after 150ms");
}

TEST(ShimProberPeerTest, CancelEndsARunningProbeAtOnce) {
  RawPeer peer("");
  Prober prober;
  std::thread canceller([&] {
    std::this_thread::sleep_for(100ms);
    prober.cancel();
  });
  const auto begin = Clock::now();
  const auto outcome = prober.run(target(ProbeKind::kHttp, peer.port(), "/", 10s));
  canceller.join();
  EXPECT_FALSE(outcome.success);
  EXPECT_EQ(outcome.detail, "cancelled");
  EXPECT_LT(Clock::now() - begin, 2s);
}

TEST(ShimProberTlsTest, HttpsProbeSkipsCertificateVerification) {
  const auto files = testing::make_test_certificates("shim");
  httplib::SSLServer app(files.cert_file.c_str(), files.key_file.c_str());
  serve_app(app);
  const int port = app.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread serving([&] { app.listen_after_bind(); });
  while (!app.is_running()) std::this_thread::sleep_for(1ms);
  Prober prober;
  EXPECT_TRUE(prober.run(target(ProbeKind::kHttps, port, "/ok")).success);
  EXPECT_EQ(prober.run(target(ProbeKind::kHttps, port, "/fail")).detail, "HTTP 500");
  const auto plain = prober.run(target(ProbeKind::kHttp, port, "/ok", 500ms));
  EXPECT_FALSE(plain.success) << "plain HTTP to a TLS port fails: " << plain.detail;
  app.stop();
  serving.join();
  const auto refused = prober.run(target(ProbeKind::kHttps, port, "/ok"));
  EXPECT_FALSE(refused.success);
}

}  // namespace
}  // namespace autocanary::shim

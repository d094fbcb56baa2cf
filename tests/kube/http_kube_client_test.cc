// Building the HTTP client from a configuration, and how calls fail when nothing
// answers. Talking to a real apiserver is kube_client_cluster_test's job.
#include "kube/http_kube_client.h"

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "tests/support/test_certificates.h"

namespace autocanary::kube {
namespace {

using namespace std::chrono_literals;

std::string read(const std::string& path) {
  std::ifstream file(path);
  std::ostringstream content;
  content << file.rdbuf();
  return content.str();
}

// A port on which nothing listens: bound, never listened on, then released.
int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), length);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

class HttpKubeClientTest : public ::testing::Test {
 protected:
  void TearDown() override { std::fclose(log_file); }

  std::variant<std::unique_ptr<HttpKubeClient>, std::string> build(KubeConfig config) {
    HttpKubeClientOptions options;
    options.connect_timeout = 1s;
    options.retry.max_attempts = 3;
    options.retry.initial_backoff = 1ms;
    options.retry.max_backoff = 2ms;
    return HttpKubeClient::from_config(std::move(config), options, logger);
  }

  std::unique_ptr<HttpKubeClient> built(KubeConfig config) {
    auto client = build(std::move(config));
    if (auto* error = std::get_if<std::string>(&client)) {
      ADD_FAILURE() << *error;
      return nullptr;
    }
    return std::move(std::get<std::unique_ptr<HttpKubeClient>>(client));
  }

  std::string error_of(KubeConfig config) {
    auto client = build(std::move(config));
    if (std::holds_alternative<std::unique_ptr<HttpKubeClient>>(client)) {
      ADD_FAILURE() << "expected the configuration to be refused";
      return {};
    }
    return std::get<std::string>(client);
  }

  int retries_logged() {
    std::fflush(log_file);
    std::rewind(log_file);
    int count = 0;
    char line[4096];
    while (std::fgets(line, sizeof line, log_file) != nullptr)
      if (std::string(line).find("retrying a Kubernetes API request") != std::string::npos) ++count;
    return count;
  }

  const testing::TestCertificates first = testing::make_test_certificates("kube-first");
  const testing::TestCertificates second = testing::make_test_certificates("kube-second");
  std::FILE* log_file = std::tmpfile();
  common::Logger logger{common::LogLevel::kDebug, log_file};
};

TEST_F(HttpKubeClientTest, AcceptsAClientCertificateAndAuthority) {
  KubeConfig config;
  config.server = "https://127.0.0.1:6443";
  config.certificate_authority_pem = read(first.ca_file);
  config.client_certificate_pem = read(first.cert_file);
  config.client_key_pem = read(first.key_file);
  config.namespace_name = "shop";
  const auto client = built(config);
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->default_namespace(), "shop");
}

TEST_F(HttpKubeClientTest, RefusesAKeyOfAnotherCertificate) {
  KubeConfig config;
  config.server = "https://127.0.0.1:6443";
  config.client_certificate_pem = read(first.cert_file);
  config.client_key_pem = read(second.key_file);
  EXPECT_NE(error_of(config).find("does not match"), std::string::npos);
}

TEST_F(HttpKubeClientTest, RefusesAnAuthorityThatIsNotPem) {
  KubeConfig config;
  config.server = "https://127.0.0.1:6443";
  config.certificate_authority_pem = "not a certificate";
  EXPECT_NE(error_of(config).find("no PEM certificate"), std::string::npos);
}

TEST_F(HttpKubeClientTest, RefusesABadServerUrl) {
  KubeConfig config;
  config.server = "127.0.0.1:6443";
  EXPECT_NE(error_of(config).find("https://"), std::string::npos);
}

TEST_F(HttpKubeClientTest, RefusesAClientCertificateOverPlainHttp) {
  KubeConfig config;
  config.server = "http://127.0.0.1:8080";
  config.client_certificate_pem = read(first.cert_file);
  config.client_key_pem = read(first.key_file);
  EXPECT_NE(error_of(config).find("https://"), std::string::npos);
}

TEST_F(HttpKubeClientTest, IdentifiesItselfWithTheProjectVersion) {
  EXPECT_EQ(default_user_agent().rfind("autocanary/", 0), 0u);
  EXPECT_GT(default_user_agent().size(), std::string("autocanary/").size());
}

TEST_F(HttpKubeClientTest, UnreachableServerFailsAfterTheBoundedAttempts) {
  KubeConfig config;
  config.server = "http://127.0.0.1:" + std::to_string(closed_port());
  const auto client = built(config);
  ASSERT_NE(client, nullptr);
  const auto result = client->get({"", "v1", "configmaps", "default", "web", ""});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().reason, kReasonConnectionFailed);
  EXPECT_EQ(result.error().http_status, 0);
  EXPECT_TRUE(result.error().retryable);
  EXPECT_EQ(retries_logged(), 2) << "three attempts in all";
}

TEST_F(HttpKubeClientTest, ACreateThatNeverLeftIsRetriedToo) {
  KubeConfig config;
  config.server = "http://127.0.0.1:" + std::to_string(closed_port());
  const auto client = built(config);
  ASSERT_NE(client, nullptr);
  const auto result = client->create({"", "v1", "configmaps", "default", "", ""},
                                     {{"metadata", {{"name", "web"}}}});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().reason, kReasonConnectionFailed);
  EXPECT_EQ(retries_logged(), 2);
}

TEST_F(HttpKubeClientTest, MisaddressedCallsFailBeforeAnyRequest) {
  KubeConfig config;
  config.server = "http://127.0.0.1:" + std::to_string(closed_port());
  const auto client = built(config);
  ASSERT_NE(client, nullptr);
  const ResourceRef collection{"", "v1", "configmaps", "default", "", ""};
  const auto nothing = nlohmann::json::object();
  EXPECT_EQ(client->get(collection).error().reason, kReasonInvalidRequest);
  EXPECT_EQ(client->patch(collection, nothing, {}).error().reason, kReasonInvalidRequest);
  EXPECT_EQ(client->remove(collection, {}).error().reason, kReasonInvalidRequest);
  EXPECT_EQ(client->update(collection, nothing).error().reason, kReasonInvalidRequest);
  EXPECT_EQ(retries_logged(), 0);
}

TEST_F(HttpKubeClientTest, AWatchStoppedBeforeItStartsReturnsAtOnce) {
  KubeConfig config;
  config.server = "http://127.0.0.1:" + std::to_string(closed_port());
  const auto client = built(config);
  ASSERT_NE(client, nullptr);
  std::stop_source stop;
  stop.request_stop();
  const auto result = client->watch({"", "v1", "configmaps", "default", "", ""}, {},
                                    [](WatchEvent&&) { return true; }, stop.get_token());
  EXPECT_TRUE(result.ok());
}

}  // namespace
}  // namespace autocanary::kube

namespace autocanary::kube {
namespace {

// A plain-HTTP server on loopback whose every answer waits until the test lets
// it go (or 20 s pass): requests stay in flight as long as the test needs.
class HeldServer {
 public:
  explicit HeldServer(int status, std::string retry_after = "") {
    server_.Get(".*", [this, status, retry_after](const httplib::Request&, httplib::Response& response) {
      ++requests_;
      if (retry_after.empty()) {
        std::unique_lock lock(mutex_);
        released_.wait_for(lock, std::chrono::seconds(20), [this] { return released; });
      } else {
        response.set_header("Retry-After", retry_after);
      }
      response.status = status;
      response.set_content("{}", "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~HeldServer() {
    release();
    server_.stop();
    thread_.join();
  }
  void release() {
    const std::lock_guard lock(mutex_);
    released = true;
    released_.notify_all();
  }
  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] int requests() const { return requests_; }
  [[nodiscard]] bool wait_for_requests(int count) const {
    for (int i = 0; i < 2000 && requests_ < count; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return requests_ >= count;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> requests_{0};
  std::mutex mutex_;
  std::condition_variable released_;
  bool released = false;
};

TEST_F(HttpKubeClientTest, AnAbortCutsOffARequestInFlight) {
  HeldServer server(200);
  KubeConfig config;
  config.server = server.url();
  const auto client = built(config);
  ASSERT_NE(client, nullptr);
  auto call = std::async(std::launch::async, [&] { return client->get({"", "v1", "configmaps", "default", "web", ""}); });
  ASSERT_TRUE(server.wait_for_requests(1));
  client->abort_requests_in_flight();
  // Unanswered: the server holds its 200 until released, after the call ended.
  const auto result = call.get();
  server.release();
  ASSERT_FALSE(result.ok()) << "the held request was answered, not cut off";
  EXPECT_EQ(result.error().reason, kReasonAborted);
  EXPECT_NE(result.error().message.find("/api/v1/namespaces/default/configmaps/web"), std::string::npos)
      << result.error().message;
  EXPECT_EQ(retries_logged(), 0) << "an aborted request is not tried again";
  // Calls begun after the abort are served as before.
  EXPECT_TRUE(client->get({"", "v1", "configmaps", "default", "web", ""}).ok());
}

TEST_F(HttpKubeClientTest, AnAbortEndsACallWaitingToRetry) {
  HeldServer server(503, "15");  // answered at once; the next attempt would wait 10 s (the cap)
  KubeConfig config;
  config.server = server.url();
  HttpKubeClientOptions options;
  options.retry.max_attempts = 3;
  auto made = HttpKubeClient::from_config(config, options, logger);
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<HttpKubeClient>>(made));
  auto& client = *std::get<std::unique_ptr<HttpKubeClient>>(made);
  auto call = std::async(std::launch::async, [&] { return client.get({"", "v1", "configmaps", "default", "web", ""}); });
  ASSERT_TRUE(server.wait_for_requests(1));
  ASSERT_EQ(call.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout) << "not waiting to retry";
  client.abort_requests_in_flight();
  const auto result = call.get();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().reason, kReasonAborted);
  EXPECT_EQ(server.requests(), 1) << "the retry was sent after the abort";
}

}  // namespace
}  // namespace autocanary::kube

// The real HTTPS server on a free port, spoken to by a verifying TLS client.
#include "webhook/server/admission_server.h"

#include <gtest/gtest.h>

#include <openssl/ssl.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <thread>

#include "tests/support/fixtures.h"
#include "tests/support/test_certificates.h"
#include "webhook/review/admission_review.h"

namespace autocanary::server {
namespace {

using nlohmann::json;

class AdmissionServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    files = testing::make_test_certificates("first");
    certificates = std::make_unique<CertificateReloader>(files.cert_file, files.key_file, logger, metrics);
    handler = std::make_unique<AdmissionHandler>(decision::WebhookScope{"autocanary-system", {}, {}, {}},
                                                 fixed_policy(policy::builtin_default_policy()), logger, metrics);
    ServerOptions options;
    options.bind_address = "127.0.0.1";
    options.port = 0;
    options.threads = 4;
    adjust(options);
    server = std::make_unique<AdmissionServer>(options, *handler, *certificates, metrics, logger);
    const auto bound = server->bind();
    ASSERT_TRUE(std::holds_alternative<int>(bound)) << std::get<std::string>(bound);
    port = std::get<int>(bound);
    serving = std::thread([this] { server->serve(); });
  }

  virtual void adjust(ServerOptions&) {}

  void TearDown() override {
    if (server) server->stop();
    if (serving.joinable()) serving.join();
    std::fclose(log_file);
  }

  std::unique_ptr<httplib::SSLClient> client(const std::string& ca_file) const {
    auto c = std::make_unique<httplib::SSLClient>("127.0.0.1", port);
    c->set_ca_cert_path(ca_file.c_str());
    c->enable_server_certificate_verification(true);
    c->set_connection_timeout(5);
    c->set_read_timeout(10);
    return c;
  }

  httplib::Result post_review(httplib::SSLClient& c, const std::string& body) const {
    return c.Post("/mutate?timeout=10s", body, "application/json");
  }

  std::FILE* log_file = std::tmpfile();
  common::Logger logger{common::LogLevel::kInfo, log_file};
  common::MetricsRegistry metrics;
  testing::TestCertificates files;
  std::unique_ptr<CertificateReloader> certificates;
  std::unique_ptr<AdmissionHandler> handler;
  std::unique_ptr<AdmissionServer> server;
  std::thread serving;
  int port = 0;
};

TEST_F(AdmissionServerTest, VerifiedClientGetsAnAdmissionResponse) {
  auto c = client(files.ca_file);
  const auto result = post_review(*c, testing::load_text("admission/update-web-image.json"));
  ASSERT_TRUE(result) << httplib::to_string(result.error()) << " verify=" << c->get_openssl_verify_result();
  EXPECT_EQ(result->status, 200);
  const json response = json::parse(result->body);
  EXPECT_EQ(response["kind"], "AdmissionReview");
  EXPECT_EQ(response["response"]["uid"], "705ab4f5-6393-11e8-b7cc-42010a800002");
  EXPECT_EQ(response["response"]["allowed"], true);
  EXPECT_EQ(response["response"]["patchType"], "JSONPatch");
}

TEST_F(AdmissionServerTest, RotatedCertificateIsServedToNewConnectionsWithoutRestart) {
  auto before = client(files.ca_file);
  ASSERT_TRUE(before->Get("/healthz"));

  // Keep the old CA to show the old chain is no longer presented.
  const std::string old_ca = files.directory + "/old-ca.crt";
  std::rename(files.ca_file.c_str(), old_ca.c_str());
  testing::rotate_test_certificates(files, "second");

  auto with_new_ca = client(files.ca_file);
  const auto result = post_review(*with_new_ca, testing::load_text("admission/update-web-scale.json"));
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 200);

  auto with_old_ca = client(old_ca);
  EXPECT_FALSE(with_old_ca->Get("/healthz")) << "the old certificate is still being served";
  EXPECT_NE(metrics.render().find("autocanary_webhook_certificate_reloads_total 2"), std::string::npos);
}

TEST_F(AdmissionServerTest, BrokenReplacementKeepsThePreviousCertificate) {
  std::ofstream(files.cert_file) << "-----BEGIN CERTIFICATE-----\nnot a certificate\n";
  auto c = client(files.ca_file);
  const auto result = c->Get("/healthz");
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 200);
  EXPECT_NE(metrics.render().find("autocanary_webhook_certificate_reload_errors_total 1"), std::string::npos);
}

TEST_F(AdmissionServerTest, TlsOlderThan12IsRefused) {
  auto c = client(files.ca_file);
  SSL_CTX_set_min_proto_version(c->ssl_context(), TLS1_VERSION);
  SSL_CTX_set_max_proto_version(c->ssl_context(), TLS1_1_VERSION);
  EXPECT_FALSE(c->Get("/healthz"));
}

TEST_F(AdmissionServerTest, TenMebibyteBodyIsRefusedWithAMessage) {
  auto c = client(files.ca_file);
  const std::string huge(10 * 1024 * 1024, 'a');
  const auto result = post_review(*c, huge);
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 413);
  EXPECT_NE(json::parse(result->body)["error"].get<std::string>().find("exceeds"), std::string::npos);
  // And the server is unharmed.
  auto again = client(files.ca_file);
  EXPECT_EQ(post_review(*again, testing::load_text("admission/create-web.json"))->status, 200);
}

TEST_F(AdmissionServerTest, MalformedReviewsGetA400WithTheReason) {
  auto c = client(files.ca_file);
  for (const char* body : {"not json", "{\"apiVersion\":", "[]"}) {
    const auto result = post_review(*c, body);
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 400);
    EXPECT_TRUE(json::parse(result->body).contains("error"));
  }
}

TEST_F(AdmissionServerTest, HealthReadinessMetricsAndUnknownPaths) {
  auto c = client(files.ca_file);
  EXPECT_EQ(c->Get("/healthz")->status, 200);
  EXPECT_EQ(c->Get("/readyz")->status, 200);
  ASSERT_EQ(post_review(*c, testing::load_text("admission/create-web.json"))->status, 200);
  const auto metrics_page = c->Get("/metrics");
  ASSERT_TRUE(metrics_page);
  EXPECT_NE(metrics_page->body.find("autocanary_webhook_decisions_total{decision=\"marked\"} 1"), std::string::npos);
  EXPECT_NE(metrics_page->body.find("process_resident_memory_bytes"), std::string::npos);
  const auto missing = c->Get("/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

TEST_F(AdmissionServerTest, DrainingFailsReadinessAndClosesConnections) {
  server->start_draining();
  auto c = client(files.ca_file);
  const auto ready = c->Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  const auto reviewed = post_review(*c, testing::load_text("admission/create-web.json"));
  ASSERT_TRUE(reviewed);
  EXPECT_EQ(reviewed->status, 200);  // still served while draining
  EXPECT_EQ(reviewed->get_header_value("Connection"), "close");
}

TEST(ServerOptionsTest, TheDefaultMemoryBudgetHoldsTheLargestReview) {
  const ServerOptions defaults;
  EXPECT_LE(api::review_memory_bound(defaults.max_body_bytes), defaults.review_memory_budget);
}

class ExhaustedBudgetTest : public AdmissionServerTest {
  void adjust(ServerOptions& options) override {
    options.review_memory_budget = api::review_memory_bound(64) ;
    options.review_memory_wait = std::chrono::milliseconds(0);
  }
};

TEST_F(ExhaustedBudgetTest, AReviewBeyondTheBudgetIsAnswered429AndTheConnectionStaysUsable) {
  auto c = client(files.ca_file);
  c->set_keep_alive(true);
  for (int attempt = 0; attempt < 2; ++attempt) {
    const auto result = post_review(*c, testing::load_text("admission/create-web.json"));
    ASSERT_TRUE(result) << httplib::to_string(result.error());
    EXPECT_EQ(result->status, 429);
    EXPECT_EQ(result->get_header_value("Retry-After"), "1");
    EXPECT_NE(result->get_header_value("Connection"), "close");
  }
  const auto metrics_page = c->Get("/metrics");
  ASSERT_TRUE(metrics_page);
  EXPECT_NE(metrics_page->body.find("autocanary_webhook_errors_total{reason=\"memory_budget\"} 2"), std::string::npos);
}

// Room for one review at a time; a request waits up to 2 s for it.
class OneReviewBudgetTest : public AdmissionServerTest {
  void adjust(ServerOptions& options) override {
    options.review_memory_budget = api::review_memory_bound(testing::load_text("admission/update-web-image.json").size());
    options.review_memory_wait = std::chrono::milliseconds(2'000);
  }
};

TEST_F(OneReviewBudgetTest, AnAnsweredReviewGivesItsShareBackOnceTheAnswerIsWritten) {
  // The parsed review is freed after its answer is written, not before, and not
  // as late as its connection's next request: the worker of `first` stays on
  // its idle keep-alive connection while `second` needs the whole budget.
  const std::string body = testing::load_text("admission/update-web-image.json");
  auto first = client(files.ca_file);
  auto second = client(files.ca_file);
  first->set_keep_alive(true);
  second->set_keep_alive(true);
  for (auto* c : {first.get(), second.get(), first.get(), second.get()}) {
    const auto result = post_review(*c, body);
    ASSERT_TRUE(result) << httplib::to_string(result.error());
    EXPECT_EQ(result->status, 200) << result->body;
    EXPECT_EQ(json::parse(result->body)["response"]["patchType"], "JSONPatch");
  }
}

}  // namespace
}  // namespace autocanary::server

#include "webhook/server/webhook_options.h"

#include <gtest/gtest.h>

namespace autocanary::server {
namespace {

using namespace std::chrono_literals;

TEST(WebhookOptionsTest, ParsesEveryFlag) {
  auto parsed = parse_webhook_options(
      {"--tls-cert-file", "c.pem", "--tls-key-file=k.pem", "--port", "0", "--bind-address", "127.0.0.1",
       "--coordinator-username", "system:serviceaccount:ac:ac", "--protected-namespace", "infra",
       "--threads", "8", "--keep-alive-timeout", "3s", "--max-body-bytes", "2048", "--drain-delay", "0s",
       "--log-level", "debug", "--shim-image", "shim:1", "--shim-port", "16000"},
      "autocanary-system");
  ASSERT_TRUE(std::holds_alternative<WebhookOptions>(parsed)) << std::get<std::string>(parsed);
  const auto& options = std::get<WebhookOptions>(parsed);
  EXPECT_EQ(options.cert_file, "c.pem");
  EXPECT_EQ(options.key_file, "k.pem");
  EXPECT_EQ(options.server.port, 0);
  EXPECT_EQ(options.server.bind_address, "127.0.0.1");
  EXPECT_EQ(options.scope.own_namespace, "autocanary-system");
  EXPECT_EQ(options.scope.coordinator_usernames, std::vector<std::string>{"system:serviceaccount:ac:ac"});
  EXPECT_EQ(options.scope.extra_protected_namespaces, std::vector<std::string>{"infra"});
  EXPECT_EQ(options.server.threads, 8U);
  EXPECT_EQ(options.server.keep_alive_timeout, 3s);
  EXPECT_EQ(options.server.max_body_bytes, 2048U);
  EXPECT_EQ(options.drain_delay, 0ms);
  EXPECT_EQ(options.log_level, common::LogLevel::kDebug);
  EXPECT_EQ(options.scope.shim.image, "shim:1");
  EXPECT_EQ(options.scope.shim.port, 16000);
}

TEST(WebhookOptionsTest, ReportsWhatIsWrong) {
  auto error = [](std::vector<std::string> args) {
    auto parsed = parse_webhook_options(args, nullptr);
    return std::holds_alternative<std::string>(parsed) ? std::get<std::string>(parsed) : "<parsed>";
  };
  EXPECT_NE(error({}).find("--tls-cert-file and --tls-key-file are required"), std::string::npos);
  EXPECT_NE(error({"--port", "70000"}).find("invalid value for --port"), std::string::npos);
  EXPECT_NE(error({"--drain-delay", "soon"}).find("invalid value for --drain-delay"), std::string::npos);
  EXPECT_NE(error({"--frobnicate", "1"}).find("unknown flag --frobnicate"), std::string::npos);
  EXPECT_NE(error({"--port"}).find("--port needs a value"), std::string::npos);
  EXPECT_NE(error({"--tls-cert-file", "c", "--tls-key-file", "k", "--max-body-bytes", "16777216"})
                .find("--review-memory-budget must hold the largest review"),
            std::string::npos);
}

TEST(WebhookOptionsTest, SelfManagedCertificateFlags) {
  auto parsed = parse_webhook_options(
      {"--tls-cert-file=/run/tls/tls.crt", "--tls-key-file=/run/tls/tls.key", "--namespace=ac",
       "--cert-secret=ac-tls", "--webhook-configuration=ac", "--cert-dns=hook.ac.svc", "--cert-dns=hook",
       "--cert-ip=127.0.0.1", "--ca-validity=90s", "--cert-validity=30s", "--cert-check-period=2s",
       "--ca-trust-delay=3s"},
      nullptr);
  ASSERT_TRUE(std::holds_alternative<WebhookOptions>(parsed)) << std::get<std::string>(parsed);
  const auto& options = std::get<WebhookOptions>(parsed);
  ASSERT_TRUE(options.self_managed_certificates);
  const auto& certificates = options.certificates;
  EXPECT_EQ(certificates.namespace_name, "ac");
  EXPECT_EQ(certificates.secret_name, "ac-tls");
  EXPECT_EQ(certificates.webhook_configuration, "ac");
  EXPECT_EQ(certificates.request.names.dns_names, (std::vector<std::string>{"hook.ac.svc", "hook"}));
  EXPECT_EQ(certificates.request.names.ip_addresses, std::vector<std::string>{"127.0.0.1"});
  EXPECT_EQ(certificates.request.lifetimes.authority, 90s);
  EXPECT_EQ(certificates.request.lifetimes.serving, 30s);
  EXPECT_EQ(certificates.check_period, 2s);
  EXPECT_EQ(certificates.trust_delay, 3s);
  EXPECT_EQ(certificates.cert_file, "/run/tls/tls.crt");
  EXPECT_EQ(certificates.key_file, "/run/tls/tls.key");

  auto without = parse_webhook_options({"--tls-cert-file=c", "--tls-key-file=k"}, nullptr);
  EXPECT_FALSE(std::get<WebhookOptions>(without).self_managed_certificates);
}

TEST(WebhookOptionsTest, SelfManagedCertificatesNeedNamesANamespaceAndALongerCaLifetime) {
  auto error = [](std::vector<std::string> args) {
    args.insert(args.begin(), {"--tls-cert-file=c", "--tls-key-file=k", "--cert-secret=s"});
    auto parsed = parse_webhook_options(args, "ac");
    return std::holds_alternative<std::string>(parsed) ? std::get<std::string>(parsed) : "<parsed>";
  };
  EXPECT_EQ(error({"--cert-dns=hook"}), "<parsed>");
  EXPECT_EQ(error({}), "--cert-secret needs at least one --cert-dns or --cert-ip");
  EXPECT_EQ(error({"--cert-dns=hook", "--ca-validity=1h", "--cert-validity=2h"}),
            "--ca-validity must be longer than --cert-validity (at least 1s)");
  EXPECT_EQ(error({"--cert-dns=hook", "--cert-validity=500ms"}),
            "--ca-validity must be longer than --cert-validity (at least 1s)");
  EXPECT_EQ(error({"--cert-ip=hook"}), "invalid value for --cert-ip: 'hook'");
  auto parsed = parse_webhook_options({"--tls-cert-file=c", "--tls-key-file=k", "--cert-secret=s", "--cert-dns=h"},
                                      nullptr);
  EXPECT_EQ(std::get<std::string>(parsed), "--cert-secret needs --namespace");
  parsed = parse_webhook_options({"--tls-cert-file=a/c", "--tls-key-file=b/k", "--cert-secret=s", "--cert-dns=h"},
                                 "ac");
  EXPECT_EQ(std::get<std::string>(parsed),
            "--cert-secret writes --tls-cert-file and --tls-key-file together: use one directory");
}

TEST(WebhookOptionsTest, TimeoutQueryIsClampedToWebhookLimits) {
  EXPECT_EQ(review_timeout("10s", 7s), 10s);
  EXPECT_EQ(review_timeout("", 7s), 7s);
  EXPECT_EQ(review_timeout("bogus", 7s), 7s);
  EXPECT_EQ(review_timeout("100ms", 7s), 1s);
  EXPECT_EQ(review_timeout("5m", 7s), 30s);
}

}  // namespace
}  // namespace autocanary::server

#include "coordinator/analysis/http_gate.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "tests/coordinator/analysis/local_http_server.h"
#include "tests/coordinator/analysis/web_context.h"

namespace autocanary::analysis {
namespace {

using namespace std::chrono_literals;
using Kind = Measurement::Kind;
using nlohmann::json;

AnalysisContext web() { return web_context("approval"); }

policy::AnalysisDefinition gate(const std::string& url) {
  policy::AnalysisDefinition definition;
  definition.name = "approval";
  definition.provider = policy::AnalysisDefinition::Provider::kHttp;
  definition.url = url;
  definition.timeout = 500ms;
  definition.retries = 1;
  return definition;
}

TEST(HttpGateTest, PayloadDescribesTheRollout) {
  EXPECT_EQ(gate_payload(web()), json::parse(R"({
    "apiVersion": "autocanary.io/v1alpha1", "kind": "CanaryGateRequest", "analysis": "approval",
    "namespace": "shop", "deployment": "web", "canary": "web-canary", "revision": "bbbbbbbbbb",
    "stableRevision": "aaaaaaaaaa", "podTemplateHash": "7f9c6d8b5", "step": 2,
    "stepStartedAt": "2026-11-22T10:00:00Z"})"));
}

TEST(HttpGateTest, TwoHundredsPassEverythingElseFails) {
  EXPECT_EQ(read_gate_answer({204, ""}, false).kind, Kind::kPassed);
  const Measurement refused = read_gate_answer({500, "{\"reason\":\"change freeze\"}\n"}, false);
  EXPECT_EQ(refused.kind, Kind::kFailed);
  EXPECT_EQ(refused.message, "the gate answered HTTP 500: {\"reason\":\"change freeze\"} ");
  EXPECT_EQ(read_gate_answer({302, ""}, false).kind, Kind::kFailed);
}

TEST(HttpGateTest, WithAConditionTheBodysNumberIsJudged) {
  EXPECT_EQ(read_gate_answer({200, "0.5"}, true).value, 0.5);
  EXPECT_EQ(read_gate_answer({200, R"({"value": 0.25})"}, true).value, 0.25);
  EXPECT_EQ(read_gate_answer({200, R"({"value": "0.75"})"}, true).value, 0.75);
  EXPECT_EQ(read_gate_answer({200, "yes"}, true).kind, Kind::kError);
}

TEST(HttpGateTest, PostsThePayloadAndReadsTheAnswer) {
  testing::LocalHttpServer server;
  HttpGateProvider provider(gate(server.url("/check")));
  server.answer({500, "frozen", 0ms});
  EXPECT_EQ(provider.measure(web(), {}).kind, Kind::kFailed);
  server.answer({200, "ok", 0ms});
  EXPECT_EQ(provider.measure(web(), {}).kind, Kind::kPassed);
  const auto received = server.received();
  ASSERT_EQ(received.size(), 2U);
  EXPECT_EQ(received[0].path, "/check");
  EXPECT_EQ(received[0].get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(json::parse(received[0].body)["revision"], "bbbbbbbbbb");
}

TEST(HttpGateTest, AnUnansweredRequestIsRetriedThenAnError) {
  testing::LocalHttpServer server;
  server.answer({200, "late", 2s});
  HttpGateProvider provider(gate(server.url("/check")));
  const Measurement m = provider.measure(web(), {});
  EXPECT_EQ(m.kind, Kind::kError) << "each attempt gives up at the timeout, before the late answer";
  EXPECT_NE(m.message.find("(2 attempts)"), std::string::npos) << m.message;
  EXPECT_EQ(server.received().size(), 2U);
}

// A token file of the test's own, removed with it.
class TokenFile {
 public:
  explicit TokenFile(const std::string& content) {
    std::ofstream(path_) << content;
  }
  ~TokenFile() { std::filesystem::remove(path_); }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_ = (std::filesystem::temp_directory_path() /
                       ("autocanary-token-" + std::to_string(::getpid()))).string();
};

TEST(HttpGateTest, ATokenGoesToAnHttpServerOnlyWhenThePolicySaysSo) {
  testing::LocalHttpServer server;
  server.answer({200, "ok", 0ms});
  const TokenFile token("s3cret\n");
  policy::AnalysisDefinition definition = gate(server.url("/check"));
  definition.bearer_token_file = token.path();
  const Measurement refused = HttpGateProvider(definition).measure(web(), {});
  EXPECT_EQ(refused.kind, Kind::kError);
  EXPECT_NE(refused.message.find("refusing to send the token of " + token.path() + " in clear text"),
            std::string::npos) << refused.message;
  EXPECT_TRUE(server.received().empty()) << "nothing was sent";

  definition.allow_insecure_token = true;
  EXPECT_EQ(HttpGateProvider(definition).measure(web(), {}).kind, Kind::kPassed);
  ASSERT_EQ(server.received().size(), 1U);
  EXPECT_EQ(server.received()[0].get_header_value("Authorization"), "Bearer s3cret");
}

TEST(HttpGateTest, TheCoordinatorsOwnCredentialsAndOversizedTokensAreNeverSent) {
  testing::LocalHttpServer server;
  server.answer({200, "ok", 0ms});
  policy::AnalysisDefinition definition = gate(server.url("/check"));
  definition.allow_insecure_token = true;
  for (const char* own : {"/var/run/secrets/kubernetes.io/serviceaccount/token",
                          "/run/secrets/kubernetes.io/serviceaccount/../serviceaccount/token"}) {
    definition.bearer_token_file = own;
    const Measurement m = HttpGateProvider(definition).measure(web(), {});
    EXPECT_EQ(m.kind, Kind::kError);
    EXPECT_NE(m.message.find("the coordinator's own service-account credentials"), std::string::npos) << m.message;
  }
  const TokenFile huge(std::string(64 * 1024, 'x'));
  definition.bearer_token_file = huge.path();
  const Measurement m = HttpGateProvider(definition).measure(web(), {});
  EXPECT_EQ(m.kind, Kind::kError);
  EXPECT_NE(m.message.find("more than 16384 bytes"), std::string::npos) << m.message;
  EXPECT_TRUE(server.received().empty());
}

TEST(HttpGateTest, ARefusedConnectionIsAnError) {
  HttpGateProvider provider(gate("http://127.0.0.1:" + std::to_string(testing::closed_port()) + "/check"));
  const Measurement m = provider.measure(web(), {});
  EXPECT_EQ(m.kind, Kind::kError);
  EXPECT_NE(m.message.find("no answer from http://127.0.0.1:"), std::string::npos) << m.message;
}

}  // namespace
}  // namespace autocanary::analysis

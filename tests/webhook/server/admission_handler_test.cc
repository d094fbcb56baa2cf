#include "webhook/server/admission_handler.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "tests/support/fixtures.h"

namespace autocanary::server {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class AdmissionHandlerTest : public ::testing::Test {
 protected:
  std::FILE* log_file = std::tmpfile();
  common::Logger logger{common::LogLevel::kDebug, log_file};
  common::MetricsRegistry metrics;
  AdmissionHandler handler{decision::WebhookScope{"autocanary-system", {}, {}, {}},
                           server::fixed_policy(policy::builtin_default_policy()), logger, metrics};

  ~AdmissionHandlerTest() override { std::fclose(log_file); }

  HttpReply review(const std::string& body) { return handler.review(body, AdmissionHandler::Clock::now() + 10s); }

  std::vector<json> log_lines() {
    std::fflush(log_file);
    std::rewind(log_file);
    std::vector<json> lines;
    char buffer[1 << 16];
    while (std::fgets(buffer, sizeof buffer, log_file) != nullptr) lines.push_back(json::parse(buffer));
    return lines;
  }
};

TEST_F(AdmissionHandlerTest, AnswersAReviewAndCountsTheDecision) {
  const HttpReply reply = review(testing::load_text("admission/update-web-image.json"));
  ASSERT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type, "application/json");
  const json response = json::parse(reply.body);
  EXPECT_EQ(response["response"]["uid"], "705ab4f5-6393-11e8-b7cc-42010a800002");
  EXPECT_EQ(response["response"]["patchType"], "JSONPatch");
  const std::string text = metrics.render();
  EXPECT_NE(text.find("autocanary_webhook_decisions_total{decision=\"pending_recorded\"} 1"), std::string::npos);
  EXPECT_NE(text.find("autocanary_webhook_requests_total{code=\"200\"} 1"), std::string::npos);
  EXPECT_NE(text.find("autocanary_webhook_request_duration_seconds_count 1"), std::string::npos);

  const auto lines = log_lines();
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(lines[0]["msg"], "admission reviewed");
  EXPECT_EQ(lines[0]["decision"], "pending_recorded");
  EXPECT_EQ(lines[0]["name"], "web");
}

TEST_F(AdmissionHandlerTest, BadBodyGetsA400WithTheReason) {
  const HttpReply reply = review("{\"apiVersion\": \"admission.k8s.io/v1\", \"kind\": \"AdmissionRev");
  EXPECT_EQ(reply.status, 400);
  EXPECT_NE(json::parse(reply.body)["error"].get<std::string>().find("not valid JSON"), std::string::npos);
  EXPECT_NE(metrics.render().find("autocanary_webhook_errors_total{reason=\"bad_request\"} 1"), std::string::npos);
}

TEST_F(AdmissionHandlerTest, DeploymentWithoutTemplateIsAllowedWithAMessage) {
  json review_doc = testing::load_json("admission/update-web-image.json");
  review_doc["request"]["object"]["spec"].erase("template");
  const HttpReply reply = review(review_doc.dump());
  ASSERT_EQ(reply.status, 200);
  const json response = json::parse(reply.body)["response"];
  EXPECT_EQ(response["allowed"], true);
  EXPECT_FALSE(response.contains("patch"));
  EXPECT_NE(response["status"]["message"].get<std::string>().find("spec.template"), std::string::npos);
}

TEST_F(AdmissionHandlerTest, ObjectOfTheWrongKindIsAllowedWithAMessage) {
  json review_doc = testing::load_json("admission/update-web-image.json");
  review_doc["request"]["object"] = {{"apiVersion", "v1"}, {"kind", "ConfigMap"},
                                     {"metadata", {{"name", "web"}}}, {"data", {{"a", "b"}}}};
  const HttpReply reply = review(review_doc.dump());
  ASSERT_EQ(reply.status, 200);
  const json response = json::parse(reply.body)["response"];
  EXPECT_EQ(response["allowed"], true);
  EXPECT_NE(response["status"]["message"].get<std::string>().find("ConfigMap"), std::string::npos);
}

TEST_F(AdmissionHandlerTest, WorkPastTheApiserversDeadlineIsNotStarted) {
  const HttpReply reply = handler.review(testing::load_text("admission/update-web-image.json"),
                                         AdmissionHandler::Clock::now() - 1ms);
  EXPECT_EQ(reply.status, 504);
  EXPECT_NE(json::parse(reply.body)["error"].get<std::string>().find("timeout"), std::string::npos);
  EXPECT_NE(metrics.render().find("reason=\"deadline_exceeded\"} 1"), std::string::npos);
}

}  // namespace
}  // namespace autocanary::server

#include "webhook/server/admission_handler.h"

#include <gtest/gtest.h>

#include <openssl/sha.h>

#include <array>
#include <cstdio>

#include "common/hex.h"
#include "policy/policy_resolution.h"
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

// `kubectl annotate` of an override: the template is unchanged, so no canary
// starts, and the user still hears at once what was wrong with what they typed.
TEST(AdmissionHandlerWarningsTest, AnAnnotateOnlyChangeHearsWhatIsWrongWithItsAnnotations) {
  std::FILE* log_file = std::tmpfile();
  common::Logger logger{common::LogLevel::kWarn, log_file};
  common::MetricsRegistry metrics;
  AdmissionHandler handler{decision::WebhookScope{"autocanary-system", {}, {}, {}},
                           [](const json& deployment) {
                             return policy::resolve_policy(deployment, json(), [](const std::string&) { return json(); });
                           },
                           logger, metrics};
  json review_doc = testing::load_json("admission/update-web-image.json");
  auto& request = review_doc["request"];
  request["object"] = request["oldObject"];
  request["object"]["metadata"]["annotations"]["autocanary.io/steps"] = "[{setWeight: 500}]";
  request["object"]["metadata"]["annotations"]["autocanary.io/stpes"] = "[{setWeight: 50}]";
  const json response = json::parse(handler.review(review_doc.dump(), AdmissionHandler::Clock::now() + 10s).body);
  const auto warnings = response["response"]["warnings"];
  ASSERT_EQ(warnings.size(), 2U) << warnings.dump();
  EXPECT_NE(warnings[0].get<std::string>().find("autocanary: annotation autocanary.io/steps ignored: "),
            std::string::npos) << warnings.dump();
  EXPECT_NE(warnings[1].get<std::string>().find("did you mean autocanary.io/steps?"), std::string::npos);
  EXPECT_EQ(response["response"]["allowed"], true);
  EXPECT_FALSE(response["response"].contains("patch"));

  // The same object applied again (a GitOps sync): nothing new to say.
  request["oldObject"] = request["object"];
  const json again = json::parse(handler.review(review_doc.dump(), AdmissionHandler::Clock::now() + 10s).body);
  EXPECT_FALSE(again["response"].contains("warnings")) << again.dump();
  std::fclose(log_file);
}

// `kubectl label namespace shop autocanary.io/enabled=yes`: allowed as it is,
// with a warning, and nothing patched.
TEST_F(AdmissionHandlerTest, ANamespaceLabelledWithAValueThatDoesNotOptInIsWarned) {
  const json labelled = {{"apiVersion", "v1"},
                         {"kind", "Namespace"},
                         {"metadata", {{"name", "shop"}, {"labels", {{"autocanary.io/enabled", "yes"}}}}}};
  json old_object = labelled;
  old_object["metadata"].erase("labels");
  const json review_doc = {
      {"apiVersion", "admission.k8s.io/v1"},
      {"kind", "AdmissionReview"},
      {"request",
       {{"uid", "ns-1"},
        {"kind", {{"group", ""}, {"version", "v1"}, {"kind", "Namespace"}}},
        {"resource", {{"group", ""}, {"version", "v1"}, {"resource", "namespaces"}}},
        {"name", "shop"},
        {"operation", "UPDATE"},
        {"userInfo", {{"username", "alice"}}},
        {"object", labelled},
        {"oldObject", old_object}}}};
  const HttpReply reply = review(review_doc.dump());
  ASSERT_EQ(reply.status, 200) << reply.body;
  const json response = json::parse(reply.body)["response"];
  EXPECT_EQ(response["allowed"], true);
  EXPECT_FALSE(response.contains("patch"));
  ASSERT_EQ(response["warnings"].size(), 1U) << response.dump();
  EXPECT_NE(response["warnings"][0].get<std::string>().find("namespace shop is labelled autocanary.io/enabled=yes"),
            std::string::npos);
}

TEST_F(AdmissionHandlerTest, AnAnswerComesWithWhatItWasBuiltFromForTheTransportToFreeLater) {
  HttpReply reply = review(testing::load_text("admission/update-web-image.json"));
  ASSERT_EQ(reply.status, 200);
  ASSERT_NE(reply.built_from, nullptr);
  EXPECT_EQ(reply.built_from->request.name, "web");
  EXPECT_EQ(reply.built_from->decision.outcome, decision::Outcome::kPendingRecorded);
  // The answer is complete without it.
  const std::string answer = reply.body;
  reply.built_from.reset();
  EXPECT_EQ(reply.body, answer);
  EXPECT_EQ(json::parse(reply.body)["response"]["patchType"], "JSONPatch");

  EXPECT_EQ(review("{}").built_from, nullptr);  // nothing was parsed into a request
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

std::string sha256_hex(const std::string& bytes) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest.data());
  return common::to_hex(digest.data(), digest.size());
}

// testdata/admission/answers.json holds, for each admission fixture, the bytes
// the handler answered before the review was read by simdjson and the patch
// text written by common::append_json (commit ebf55cd): its length and SHA-256,
// with the built-in policy, with a shim image (the policy's whenNoProbe), and
// with a policy injecting the shim always. The same body compacted (as the
// apiserver and bench/admission.sh send it) gets the same answer.
TEST(AdmissionHandlerAnswersTest, AnswersTheBytesItAnsweredBeforeForEveryFixture) {
  const json answers = testing::load_json("admission/answers.json");
  ASSERT_EQ(answers.size(), 15U);
  for (const auto& [name, expected] : answers.items()) {
    const std::string file = name.substr(0, name.find(' '));
    const bool with_shim = name.find(" shim") != std::string::npos;
    const bool always = name.find(" always") != std::string::npos;
    decision::WebhookScope scope{"autocanary-system", {}, {}, {}};
    if (with_shim) scope.shim.image = "registry.example/autocanary-shim:1.0";
    policy::CanaryPolicy policy = policy::builtin_default_policy();
    if (always) policy.shim_injection = policy::ShimInjection::kAlways;
    common::Logger logger(common::LogLevel::kError);
    common::MetricsRegistry metrics;
    AdmissionHandler handler(scope, fixed_policy(policy), logger, metrics);

    const std::string stored = testing::load_text("admission/" + file);
    for (const std::string& body : {stored, json::parse(stored).dump()}) {
      SCOPED_TRACE(name + (body == stored ? " (as stored)" : " (compact)"));
      const HttpReply reply = handler.review(body, AdmissionHandler::Clock::now() + 10s);
      EXPECT_EQ(reply.status, expected["status"].get<int>());
      EXPECT_EQ(reply.body.size(), expected["bytes"].get<std::size_t>());
      EXPECT_EQ(sha256_hex(reply.body), expected["sha256"].get<std::string>()) << reply.body.substr(0, 2000);
    }
  }
}

}  // namespace
}  // namespace autocanary::server

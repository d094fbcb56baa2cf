#include "webhook/review/admission_review.h"

#include <gtest/gtest.h>

#include <openssl/evp.h>

#include "tests/support/fixtures.h"

namespace autocanary::api {
namespace {

using nlohmann::json;

std::string error_of(std::string_view body) {
  auto parsed = parse_admission_review(body);
  const auto* error = std::get_if<ReviewError>(&parsed);
  if (error == nullptr) return "<parsed>";
  EXPECT_EQ(error->http_status, 400);
  return error->message;
}

std::string base64_decode(const std::string& text) {
  std::string decoded(text.size(), '\0');
  const int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                                     reinterpret_cast<const unsigned char*>(text.data()),
                                     static_cast<int>(text.size()));
  decoded.resize(static_cast<std::size_t>(length));
  while (!decoded.empty() && decoded.back() == '\0') decoded.pop_back();  // block padding
  return decoded;
}

TEST(AdmissionReviewTest, ParsesARealUpdateReview) {
  const std::string body = testing::load_text("admission/update-web-image.json");
  auto parsed = parse_admission_review(body);
  ASSERT_TRUE(std::holds_alternative<AdmissionRequest>(parsed));
  const auto& request = std::get<AdmissionRequest>(parsed);
  EXPECT_EQ(request.uid, "705ab4f5-6393-11e8-b7cc-42010a800002");
  EXPECT_EQ(request.operation, decision::Operation::kUpdate);
  EXPECT_EQ(request.namespace_name, "shop");
  EXPECT_EQ(request.name, "web");
  EXPECT_EQ(request.username, "alice@example.com");
  EXPECT_FALSE(request.dry_run);
  EXPECT_EQ(request.object["kind"], "Deployment");
  EXPECT_EQ(request.old_object["kind"], "Deployment");
  const auto input = to_decision_input(request);
  EXPECT_TRUE(input.is_deployment);
  EXPECT_NE(input.old_object, nullptr);
}

TEST(AdmissionReviewTest, NonJsonBodyIsRejected) {
  EXPECT_NE(error_of("hello, webhook").find("not valid JSON"), std::string::npos);
}

TEST(AdmissionReviewTest, TruncatedJsonIsRejected) {
  const std::string body = testing::load_text("admission/update-web-image.json");
  EXPECT_NE(error_of(std::string_view(body).substr(0, body.size() / 2)).find("not valid JSON"), std::string::npos);
}

TEST(AdmissionReviewTest, EmptyBodyIsRejected) {
  EXPECT_NE(error_of("").find("not valid JSON"), std::string::npos);
}

TEST(AdmissionReviewTest, WrongApiVersionIsRejected) {
  json review = testing::load_json("admission/update-web-image.json");
  review["apiVersion"] = "admission.k8s.io/v1beta1";
  EXPECT_EQ(error_of(review.dump()), "apiVersion must be admission.k8s.io/v1");
}

TEST(AdmissionReviewTest, WrongKindIsRejected) {
  json review = testing::load_json("admission/update-web-image.json");
  review["kind"] = "ConversionReview";
  EXPECT_EQ(error_of(review.dump()), "kind must be AdmissionReview");
}

TEST(AdmissionReviewTest, MissingUidIsRejected) {
  json review = testing::load_json("admission/update-web-image.json");
  review["request"].erase("uid");
  EXPECT_EQ(error_of(review.dump()), "request.uid is missing or not a string");
  review["request"]["uid"] = 42;
  EXPECT_EQ(error_of(review.dump()), "request.uid is missing or not a string");
}

TEST(AdmissionReviewTest, MissingRequestIsRejected) {
  EXPECT_EQ(error_of(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"})"),
            "AdmissionReview has no request object");
}

TEST(AdmissionReviewTest, BadOperationIsRejected) {
  json review = testing::load_json("admission/update-web-image.json");
  review["request"]["operation"] = "PATCH";
  EXPECT_NE(error_of(review.dump()).find("request.operation"), std::string::npos);
}

TEST(AdmissionReviewTest, FieldsOfTheWrongTypeAreRejected) {
  json review = testing::load_json("admission/update-web-image.json");
  review["request"]["dryRun"] = "yes";
  EXPECT_EQ(error_of(review.dump()), "request.dryRun must be a boolean");
  review = testing::load_json("admission/update-web-image.json");
  review["request"]["namespace"] = json::array();
  EXPECT_NE(error_of(review.dump()).find("must be strings"), std::string::npos);
}

TEST(AdmissionReviewTest, HostileNestingIsRejectedBeforeParsing) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_NE(error_of(deep).find("nests deeper"), std::string::npos);
  // Brackets inside strings do not count.
  json review = testing::load_json("admission/update-web-image.json");
  review["request"]["object"]["metadata"]["annotations"]["note"] = std::string(500, '[');
  EXPECT_TRUE(std::holds_alternative<AdmissionRequest>(parse_admission_review(review.dump())));
}

TEST(AdmissionReviewTest, TooManyValuesAreRejectedBeforeParsing) {
  json review = testing::load_json("admission/update-web-image.json");
  review["request"]["object"]["metadata"]["annotations"]["note"] = std::string(kMaxReviewElements, ',');
  EXPECT_TRUE(std::holds_alternative<AdmissionRequest>(parse_admission_review(review.dump())));  // in a string
  review["request"]["object"]["spec"]["padding"] = json::array();
  for (std::size_t i = 0; i < kMaxReviewElements; ++i) review["request"]["object"]["spec"]["padding"].push_back(0);
  EXPECT_NE(error_of(review.dump()).find("more than 100000 JSON values"), std::string::npos);
}

TEST(AdmissionReviewTest, MemoryBoundCoversTheBodyAndItsTree) {
  EXPECT_GE(review_memory_bound(0), 1u);
  EXPECT_GT(review_memory_bound(4096), 3 * 4096u);
  // Beyond the element limit only the bytes add up.
  const std::size_t big = 4 * 1024 * 1024;
  EXPECT_EQ(review_memory_bound(big + 1) - review_memory_bound(big), 3u);
  // Once the body's elements are known the bound is theirs, never more than before.
  EXPECT_LT(review_memory_bound(136'000, 4'421), review_memory_bound(136'000) / 10);
  EXPECT_EQ(review_memory_bound(big, big), review_memory_bound(big));
}

TEST(AdmissionReviewTest, MemoryBoundCountsSimdjsonsShareWhereItReads) {
  // Up to kMaxFastReadBytes, simdjson's copy of the body and its strings too.
  EXPECT_EQ(review_memory_bound(kMaxFastReadBytes, 0), 6 * kMaxFastReadBytes);
  EXPECT_EQ(review_memory_bound(kMaxFastReadBytes + 1, 0), 3 * (kMaxFastReadBytes + 1));
}

TEST(AdmissionReviewTest, ABodyBeyondTheFastReadLimitIsReadTheSame) {
  json review = testing::load_json("admission/update-web-image.json");
  const auto small = parse_admission_review(review.dump());
  review["request"]["object"]["metadata"]["annotations"]["padding"] = std::string(kMaxFastReadBytes, 'x');
  const auto large = parse_admission_review(review.dump());
  ASSERT_TRUE(std::holds_alternative<AdmissionRequest>(small));
  ASSERT_TRUE(std::holds_alternative<AdmissionRequest>(large));
  json object = std::get<AdmissionRequest>(large).object;
  object["metadata"]["annotations"].erase("padding");
  EXPECT_EQ(object, std::get<AdmissionRequest>(small).object);
  EXPECT_EQ(std::get<AdmissionRequest>(large).old_object, std::get<AdmissionRequest>(small).old_object);
}

TEST(AdmissionReviewTest, ResponseEchoesUidAndCarriesTheBase64Patch) {
  decision::Decision decision;
  decision.outcome = decision::Outcome::kMarked;
  decision.patch.add("/metadata/labels/a", "b");
  decision.warnings = {"careful"};
  const json response = json::parse(admission_response("uid-1", decision));
  EXPECT_EQ(response["apiVersion"], "admission.k8s.io/v1");
  EXPECT_EQ(response["kind"], "AdmissionReview");
  EXPECT_EQ(response["response"]["uid"], "uid-1");
  EXPECT_EQ(response["response"]["allowed"], true);
  EXPECT_EQ(response["response"]["patchType"], "JSONPatch");
  EXPECT_EQ(json::parse(base64_decode(response["response"]["patch"])), decision.patch.operations());
  EXPECT_EQ(response["response"]["warnings"], json::array({"careful"}));
}

TEST(AdmissionReviewTest, ResponseWithoutPatchHasNoPatchType) {
  decision::Decision decision;
  const json response = json::parse(admission_response("uid-2", decision));
  EXPECT_FALSE(response["response"].contains("patch"));
  EXPECT_FALSE(response["response"].contains("patchType"));
}

TEST(AdmissionReviewTest, DenialCarriesTheMessage) {
  decision::Decision decision;
  decision.allowed = false;
  decision.outcome = decision::Outcome::kDenied;
  decision.message = "too large";
  const json response = json::parse(admission_response("uid-3", decision));
  EXPECT_EQ(response["response"]["allowed"], false);
  EXPECT_EQ(response["response"]["status"]["code"], 403);
  EXPECT_EQ(response["response"]["status"]["message"], "too large");
}

TEST(AdmissionReviewTest, Base64MatchesRfc4648) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
}

}  // namespace
}  // namespace autocanary::api

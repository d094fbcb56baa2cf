#include "kube/status_error.h"

#include <gtest/gtest.h>

namespace autocanary::kube {
namespace {

TEST(StatusErrorTest, StatusBodySuppliesReasonAndMessage) {
  const auto error = error_from_response(404, R"({"kind":"Status","apiVersion":"v1",
      "status":"Failure","message":"configmaps \"web\" not found","reason":"NotFound",
      "code":404})");
  EXPECT_EQ(error.http_status, 404);
  EXPECT_EQ(error.reason, "NotFound");
  EXPECT_EQ(error.message, "configmaps \"web\" not found");
  EXPECT_TRUE(error.is_not_found());
  EXPECT_FALSE(error.retryable);
}

TEST(StatusErrorTest, ConflictIsToldApartFromAlreadyExists) {
  const auto conflict = error_from_response(409, R"({"kind":"Status","reason":"Conflict",
      "message":"the object has been modified; please apply your changes to the latest version"})");
  EXPECT_TRUE(conflict.is_conflict());
  EXPECT_FALSE(conflict.is_already_exists());
  EXPECT_FALSE(conflict.retryable) << "a conflict needs a fresh read, not the same request";

  const auto exists = error_from_response(409, R"({"kind":"Status","reason":"AlreadyExists"})");
  EXPECT_TRUE(exists.is_already_exists());
  EXPECT_FALSE(exists.is_conflict());
}

TEST(StatusErrorTest, ThrottlingAndServerErrorsAreRetryable) {
  for (const int status : {429, 500, 502, 503, 504}) {
    SCOPED_TRACE(status);
    EXPECT_TRUE(error_from_response(status, "").retryable);
  }
  for (const int status : {400, 401, 403, 404, 409, 410, 422}) {
    SCOPED_TRACE(status);
    EXPECT_FALSE(error_from_response(status, "").retryable);
  }
}

TEST(StatusErrorTest, NonStatusBodyFallsBackToTheReasonOfTheCode) {
  const auto error = error_from_response(502, "<html><body>Bad Gateway</body></html>");
  EXPECT_EQ(error.reason, "InternalError");
  EXPECT_EQ(error.message, "<html><body>Bad Gateway</body></html>");
  EXPECT_EQ(error_from_response(503, "").reason, "ServiceUnavailable");
  EXPECT_EQ(error_from_response(429, "slow down").reason, "TooManyRequests");
  EXPECT_EQ(error_from_response(410, "").reason, "Gone");
}

TEST(StatusErrorTest, LongForeignBodiesAreCutShort) {
  const auto error = error_from_response(500, std::string(10'000, 'x'));
  EXPECT_LT(error.message.size(), 300u);
}

TEST(StatusErrorTest, HttpStatusWinsOverADisagreeingStatusCode) {
  const auto error = error_from_response(503, R"({"kind":"Status","code":200,"reason":""})");
  EXPECT_EQ(error.http_status, 503);
  EXPECT_EQ(error.reason, "ServiceUnavailable");
  EXPECT_TRUE(error.retryable);
}

TEST(StatusErrorTest, WatchErrorEventWithCode410IsExpired) {
  const auto status = nlohmann::json::parse(R"json({"kind":"Status","apiVersion":"v1","metadata":{},
      "status":"Failure","message":"too old resource version: 1 (281)","reason":"Expired",
      "code":410})json");
  const auto error = error_from_status(status, 500);
  EXPECT_EQ(error.http_status, 410);
  EXPECT_EQ(error.reason, "Expired");
  EXPECT_TRUE(error.is_expired());
  EXPECT_FALSE(error.retryable) << "an expired version needs a new list";
}

TEST(StatusErrorTest, GoneWithoutReasonIsExpiredToo) {
  EXPECT_TRUE(error_from_status(nlohmann::json{{"code", 410}}, 500).is_expired());
  EXPECT_TRUE(error_from_response(410, "").is_expired());
  EXPECT_FALSE(error_from_response(404, "").is_expired());
}

TEST(StatusErrorTest, StatusWithoutCodeKeepsTheFallback) {
  const auto error = error_from_status(nlohmann::json{{"message", "internal error"}}, 500);
  EXPECT_EQ(error.http_status, 500);
  EXPECT_EQ(error.reason, "InternalError");
  EXPECT_TRUE(error.retryable);
}

TEST(StatusErrorTest, DescribeNamesReasonStatusAndMessage) {
  EXPECT_EQ(error_from_response(404, R"({"kind":"Status","reason":"NotFound","message":"gone"})")
                .describe(),
            "NotFound (HTTP 404): gone");
  EXPECT_EQ((KubeError{0, kReasonConnectionFailed, "refused", true}).describe(),
            "ConnectionFailed: refused");
}

}  // namespace
}  // namespace autocanary::kube

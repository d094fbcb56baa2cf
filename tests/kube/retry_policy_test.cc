#include "kube/retry_policy.h"

#include <gtest/gtest.h>

namespace autocanary::kube {
namespace {

using namespace std::chrono_literals;

constexpr bool kIdempotent = true;
constexpr bool kNotIdempotent = false;

AttemptOutcome responded(int status, std::string_view retry_after = {}) {
  return {Delivery::kResponded, status, retry_after};
}

TEST(RetryPolicyTest, BackoffDoublesUpToTheCap) {
  // Jitter 1 is the top of the range: the full exponential value.
  EXPECT_EQ(backoff_delay(200ms, 5s, 1, 0.9999), 199ms);
  EXPECT_EQ(backoff_delay(200ms, 5s, 1, 1.0), 200ms);
  EXPECT_EQ(backoff_delay(200ms, 5s, 2, 1.0), 400ms);
  EXPECT_EQ(backoff_delay(200ms, 5s, 3, 1.0), 800ms);
  EXPECT_EQ(backoff_delay(200ms, 5s, 6, 1.0), 5s);
  EXPECT_EQ(backoff_delay(200ms, 5s, 60, 1.0), 5s);
}

TEST(RetryPolicyTest, JitterSpreadsOverTheUpperHalf) {
  EXPECT_EQ(backoff_delay(200ms, 5s, 3, 0.0), 400ms);
  EXPECT_EQ(backoff_delay(200ms, 5s, 3, 0.5), 600ms);
  EXPECT_EQ(backoff_delay(200ms, 5s, 3, -1.0), 400ms) << "out-of-range jitter is clamped";
}

TEST(RetryPolicyTest, ParsesRetryAfterSeconds) {
  EXPECT_EQ(parse_retry_after("3"), 3s);
  EXPECT_EQ(parse_retry_after(" 1 "), 1s);
  EXPECT_EQ(parse_retry_after("0"), 0s);
  EXPECT_FALSE(parse_retry_after("").has_value());
  EXPECT_FALSE(parse_retry_after("-1").has_value());
  EXPECT_FALSE(parse_retry_after("soon").has_value());
  EXPECT_FALSE(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT").has_value());
}

TEST(RetryPolicyTest, TooManyRequestsRetriesEveryVerbAndHonoursRetryAfter) {
  const RetryPolicy policy;
  EXPECT_EQ(retry_delay(policy, 1, responded(429, "2"), kNotIdempotent, 0.0), 2s);
  EXPECT_EQ(retry_delay(policy, 1, responded(429, "2"), kIdempotent, 0.0), 2s);
  EXPECT_EQ(retry_delay(policy, 1, responded(429), kIdempotent, 0.0), 100ms)
      << "without Retry-After: the backoff";
}

TEST(RetryPolicyTest, RetryAfterIsCapped) {
  const RetryPolicy policy;
  EXPECT_EQ(retry_delay(policy, 1, responded(429, "3600"), kIdempotent, 0.0),
            policy.max_retry_after);
}

TEST(RetryPolicyTest, ServerErrorsRetryOnlyIdempotentRequests) {
  const RetryPolicy policy;
  for (const int status : {500, 502, 503, 504}) {
    SCOPED_TRACE(status);
    EXPECT_EQ(retry_delay(policy, 2, responded(status), kIdempotent, 1.0), 400ms);
    EXPECT_FALSE(retry_delay(policy, 2, responded(status), kNotIdempotent, 1.0).has_value())
        << "a create that failed on the server may still have been stored";
  }
  EXPECT_EQ(retry_delay(policy, 1, responded(503, "1"), kIdempotent, 0.0), 1s);
}

TEST(RetryPolicyTest, ClientErrorsAreFinal) {
  const RetryPolicy policy;
  for (const int status : {400, 401, 403, 404, 409, 410, 422, 501}) {
    SCOPED_TRACE(status);
    EXPECT_FALSE(retry_delay(policy, 1, responded(status), kIdempotent, 0.0).has_value());
  }
}

TEST(RetryPolicyTest, RequestsThatNeverLeftAlwaysRetry) {
  const RetryPolicy policy;
  const AttemptOutcome refused{Delivery::kNotSent, 0, {}};
  EXPECT_TRUE(retry_delay(policy, 1, refused, kNotIdempotent, 0.0).has_value());
  EXPECT_TRUE(retry_delay(policy, 1, refused, kIdempotent, 0.0).has_value());
}

TEST(RetryPolicyTest, BrokenConnectionsRetryOnlyIdempotentRequests) {
  const RetryPolicy policy;
  const AttemptOutcome broken{Delivery::kUnknown, 0, {}};
  EXPECT_TRUE(retry_delay(policy, 1, broken, kIdempotent, 0.0).has_value());
  EXPECT_FALSE(retry_delay(policy, 1, broken, kNotIdempotent, 0.0).has_value());
}

TEST(RetryPolicyTest, GivesUpAfterTheLastAttempt) {
  RetryPolicy policy;
  policy.max_attempts = 3;
  EXPECT_TRUE(retry_delay(policy, 2, responded(503), kIdempotent, 0.0).has_value());
  EXPECT_FALSE(retry_delay(policy, 3, responded(503), kIdempotent, 0.0).has_value());
  EXPECT_FALSE(retry_delay(policy, 3, responded(429, "1"), kIdempotent, 0.0).has_value());
}

TEST(RetryPolicyTest, SuccessIsNotRetried) {
  EXPECT_FALSE(retry_delay(RetryPolicy{}, 1, responded(200), kIdempotent, 0.0).has_value());
}

}  // namespace
}  // namespace autocanary::kube

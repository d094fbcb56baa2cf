// The webhook's boundary as the apiserver reaches it: an AdmissionReview body
// through AdmissionHandler::review (parse, decide, answer), with the policy
// resolved from the Deployment's own override annotations over the built-in
// default (what the webhook does without API access; without annotations the
// decision runs on the built-in default policy). Before that, the review's JSON
// read (simdjson building an nlohmann::json tree) against nlohmann's own parse:
// whatever it accepts, nlohmann accepts and builds the same tree from.
#include <chrono>
#include <cstdint>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "common/json_text.h"
#include "common/log.h"
#include "common/metrics.h"
#include "policy/policy_resolution.h"
#include "tests/fuzz/fuzz_input.h"
#include "webhook/review/fast_json.h"
#include "webhook/server/admission_handler.h"

namespace {

using namespace autocanary;

decision::WebhookScope scope() {
  decision::WebhookScope scope;
  scope.own_namespace = "autocanary-system";
  scope.coordinator_usernames = {"system:serviceaccount:autocanary-system:autocanary-coordinator"};
  return scope;
}

struct Fixture {
  std::FILE* sink = std::fopen("/dev/null", "w");
  common::Logger logger{common::LogLevel::kError, sink};
  common::MetricsRegistry metrics;
  server::AdmissionHandler handler{
      scope(),
      [](const nlohmann::json& deployment) {
        return policy::resolve_policy(deployment, nullptr,
                                      [](const std::string&) { return nlohmann::json(); });
      },
      logger, metrics};
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture fixture;
  const auto body = fuzz::as_text(data, size);

  // Within the nesting a review may have (deeper text is refused before either parser runs).
  if (common::json_shape(body).depth <= 128) {
    if (const auto fast = api::parse_json_fast(body)) {
      const auto reference = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
      if (reference.is_discarded()) fuzz::fail("simdjson accepted text nlohmann refuses", body);
      if (*fast != reference || fast->dump() != reference.dump())
        fuzz::fail("simdjson's tree differs from nlohmann's", body);
    }
  }

  const auto deadline = server::AdmissionHandler::Clock::now() + std::chrono::hours(1);
  const auto reply = fixture.handler.review(body, deadline);
  // 500 is the handler's answer to an exception: a bug, not bad input.
  if (reply.status == 500) fuzz::fail("review answered 500", reply.body);
  if (!nlohmann::json::accept(reply.body)) fuzz::fail("review answered bytes that are not JSON", reply.body);
  return 0;
}

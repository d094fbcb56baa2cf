// AdmissionReview admission.k8s.io/v1 at the boundary: untrusted bytes in, either
// a well-formed request or a clear error out; a decision in, response bytes out.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "webhook/decision/deployment_decision.h"

namespace autocanary::api {

struct GroupVersionKind {
  std::string group, version, kind;
};

struct AdmissionRequest {
  std::string uid;
  GroupVersionKind kind;
  std::string sub_resource;
  decision::Operation operation = decision::Operation::kCreate;
  std::string namespace_name;
  std::string name;
  std::string username;
  bool dry_run = false;
  std::string field_manager;  // request.options.fieldManager, when given
  nlohmann::json object;      // null when absent
  nlohmann::json old_object;  // null when absent
};

// The review cannot be answered at all (no uid to answer to): an HTTP error.
struct ReviewError {
  int http_status = 400;
  std::string message;
};

// Far more values and object members than a Deployment review holds (a 136 KB
// one holds ~4,400; 100,000 of that shape would be 3 MiB, two objects at the
// apiserver's 1.5 MiB limit); it bounds the parsed tree whatever the bytes are.
inline constexpr std::size_t kMaxReviewElements = 100'000;

[[nodiscard]] std::variant<AdmissionRequest, ReviewError> parse_admission_review(
    std::string_view body);

// simdjson reads bodies up to this size (parse_json_fast); a larger one (a
// Deployment near the apiserver's 1.5 MiB object limit, or hostile) is read by
// nlohmann alone, so a maximal body costs no more memory than before.
inline constexpr std::size_t kMaxFastReadBytes = 1024 * 1024;

// The most heap that reviewing a body of `body_bytes` holding `elements` JSON
// values and members (common::json_shape) can take: the body, the tree parsed
// from it, the copies the decision makes of a template (its canonical text, the
// revision's and the shim's copies, the patch) and the response. Measured with
// every element in the new template (bench/webhook_memory.sh): ~350 bytes per
// element; a parsed element alone takes at most ~96 (nlohmann::json). Up to
// kMaxFastReadBytes, also what simdjson holds while the tree is built from it:
// a padded copy of the body, its unescaped strings (at most 5/3 of the body)
// and its index and tape (at most 32 bytes per element).
[[nodiscard]] std::size_t review_memory_bound(std::size_t body_bytes, std::size_t elements) noexcept;
// The same before the body is read: it holds at most one element per two bytes.
[[nodiscard]] std::size_t review_memory_bound(std::size_t body_bytes) noexcept;

// The decision core's view of a request; it borrows the objects from `request`.
[[nodiscard]] decision::AdmissionInput to_decision_input(const AdmissionRequest& request);

// A complete AdmissionReview response document for `uid`.
[[nodiscard]] std::string admission_response(const std::string& uid,
                                             const decision::Decision& decision);

[[nodiscard]] std::string base64_encode(std::string_view bytes);

}  // namespace autocanary::api

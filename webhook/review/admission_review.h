// AdmissionReview admission.k8s.io/v1 at the boundary: untrusted bytes in, either
// a well-formed request or a clear error out; a decision in, response bytes out.
#pragma once

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

[[nodiscard]] std::variant<AdmissionRequest, ReviewError> parse_admission_review(
    std::string_view body);

// The decision core's view of a request; it borrows the objects from `request`.
[[nodiscard]] decision::AdmissionInput to_decision_input(const AdmissionRequest& request);

// A complete AdmissionReview response document for `uid`.
[[nodiscard]] std::string admission_response(const std::string& uid,
                                             const decision::Decision& decision);

[[nodiscard]] std::string base64_encode(std::string_view bytes);

}  // namespace autocanary::api

// Test fixtures from tests/testdata and small helpers to build requests from them.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "webhook/decision/deployment_decision.h"

namespace autocanary::testing {

// Parsed JSON of tests/testdata/<relative_path>; fails the test if unreadable.
[[nodiscard]] nlohmann::json load_json(const std::string& relative_path);
[[nodiscard]] std::string load_text(const std::string& relative_path);

// The JSON Patch a decision carries, applied to `object`.
[[nodiscard]] nlohmann::json apply_patch(const nlohmann::json& object, const decision::Decision& decision);

// An AdmissionReview's request turned into the decision core's input. The
// review must outlive the input (the input borrows its objects).
[[nodiscard]] decision::AdmissionInput input_from_review(const nlohmann::json& review);

}  // namespace autocanary::testing

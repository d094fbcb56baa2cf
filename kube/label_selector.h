// metav1.LabelSelector, matched here rather than by the apiserver: matchLabels
// and matchExpressions (In, NotIn, Exists, DoesNotExist), all of which must
// hold; an empty selector matches everything.
#pragma once

#include <string>
#include <variant>

#include <nlohmann/json.hpp>

namespace autocanary::kube {

// Whether an object with `labels` (a map of strings; null for none) matches
// `selector`, or what is wrong with the selector.
[[nodiscard]] std::variant<bool, std::string> label_selector_matches(const nlohmann::json& selector,
                                                                     const nlohmann::json& labels);

}  // namespace autocanary::kube

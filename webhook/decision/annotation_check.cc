#include "webhook/decision/annotation_check.h"

#include <algorithm>
#include <string_view>

#include "common/json_fields.h"
#include "common/nearest_word.h"
#include "policy/names.h"
#include "policy/namespace_scope.h"

namespace autocanary::decision {

namespace {

using nlohmann::json;

// Read on a Deployment: set by users, or written by autocanary itself.
constexpr std::string_view kDeploymentAnnotations[] = {
    names::kSkipAnnotation,           names::kPolicyAnnotation,          names::kStepsAnnotation,
    names::kTrafficBackendAnnotation, names::kRetryAnnotation,           names::kPendingRevisionAnnotation,
    names::kPendingTemplateAnnotation, names::kFailedRevisionAnnotation, names::kCanaryRevisionAnnotation,
    names::kCanaryWeightAnnotation,
};

// Read on the namespace, never on a Deployment: the user put it in the wrong place.
constexpr std::string_view kNamespaceKeys[] = {names::kEnabledLabel, names::kTestServiceAccountsAnnotation};

constexpr std::string_view kPolicyChoosing[] = {names::kPolicyAnnotation, names::kStepsAnnotation,
                                                names::kTrafficBackendAnnotation};

// Whether `key` of a label or annotation map differs between two versions (added, changed or removed).
bool changed(const json* old_map, const json* new_map, std::string_view key) {
  const json* before = common::child(old_map, key);
  const json* after = common::child(new_map, key);
  if (before == nullptr || after == nullptr) return before != after;
  return *before != *after;
}

std::string unknown_key_warning(std::string_view key, const std::string& namespace_name) {
  if (std::ranges::find(kNamespaceKeys, key) != std::end(kNamespaceKeys))
    return "autocanary: " + std::string(key) + " is read on the namespace, not on a Deployment" +
           (key == names::kEnabledLabel ? " (as a label: kubectl label namespace " +
                                              (namespace_name.empty() ? "NAME" : namespace_name) + " " +
                                              std::string(key) + "=true)"
                                        : "");
  std::string warning = "autocanary: annotation " + std::string(key) + " is not one autocanary reads; it is ignored";
  if (const auto nearest = common::nearest_word(key, kDeploymentAnnotations))
    warning += " (did you mean " + std::string(*nearest) + "?)";
  return warning;
}

}  // namespace

std::vector<std::string> annotation_warnings(const json* old_object, const json& new_object) {
  std::vector<std::string> warnings;
  const json* before = common::annotations(old_object);
  const json* after = common::annotations(&new_object);
  if (after == nullptr) return warnings;
  const std::string prefix = std::string(names::kGroup) + "/";
  for (const auto& [key, value] : after->items()) {
    if (!key.starts_with(prefix) || !changed(before, after, key)) continue;
    if (std::ranges::find(kDeploymentAnnotations, key) == std::end(kDeploymentAnnotations)) {
      warnings.push_back(unknown_key_warning(key, common::metadata_string(new_object, "namespace")));
    } else if (key == names::kSkipAnnotation && value != "true" && value != "false") {
      warnings.push_back("autocanary: annotation " + key + " is " + value.dump() +
                         ": only \"true\" opts this Deployment out, so it stays managed");
    }
  }
  return warnings;
}

bool policy_annotations_changed(const json* old_object, const json& new_object) {
  const json* before = common::annotations(old_object);
  const json* after = common::annotations(&new_object);
  return std::ranges::any_of(kPolicyChoosing, [&](std::string_view key) { return changed(before, after, key); });
}

std::vector<std::string> namespace_label_warnings(const json* old_object, const json& new_object) {
  const json* before = common::labels(old_object);
  const json* after = common::labels(&new_object);
  const json* value = common::child(after, names::kEnabledLabel);
  if (value == nullptr || !value->is_string() || *value == "true" || *value == "false" ||
      !changed(before, after, names::kEnabledLabel))
    return {};
  const auto hint = policy::opt_in_hint(new_object);
  if (!hint) return {};
  return {"autocanary: " + *hint};
}

}  // namespace autocanary::decision

// The apiserver's failures (a metav1.Status body, or whatever a proxy in front of
// it answered) turned into KubeError values.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "kube/result.h"

namespace autocanary::kube {

// An error for a non-2xx response. A Status body supplies reason and message;
// any other body falls back to the reason the apiserver uses for that code.
[[nodiscard]] KubeError error_from_response(int http_status, std::string_view body);

// An error from a Status object, e.g. the object of a watch ERROR event; its own
// `code` wins over `fallback_http_status`.
[[nodiscard]] KubeError error_from_status(const nlohmann::json& status, int fallback_http_status);

// The Status.reason the apiserver sends with `http_status` ("NotFound" for 404).
[[nodiscard]] std::string reason_for_http_status(int http_status);

// Throttling or a server-side failure that a later identical request may not meet.
[[nodiscard]] bool is_transient_http_status(int http_status) noexcept;

}  // namespace autocanary::kube

#include "kube/status_error.h"

#include "common/json_fields.h"

namespace autocanary::kube {

namespace {

// Enough of a non-Status body (an HTML error page) to recognise it in a log.
constexpr std::size_t kMaxQuotedBody = 256;

}  // namespace

std::string reason_for_http_status(int http_status) {
  switch (http_status) {
    case 400: return "BadRequest";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 406: return "NotAcceptable";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "RequestEntityTooLarge";
    case 415: return "UnsupportedMediaType";
    case 422: return "Invalid";
    case 429: return "TooManyRequests";
    case 500: return "InternalError";
    case 503: return "ServiceUnavailable";
    case 504: return "Timeout";
    default: return http_status >= 500 ? "InternalError" : "Unknown";
  }
}

bool is_transient_http_status(int http_status) noexcept {
  return http_status == 429 || http_status == 500 || http_status == 502 || http_status == 503 ||
         http_status == 504;
}

KubeError error_from_status(const nlohmann::json& status, int fallback_http_status) {
  KubeError error;
  error.http_status = fallback_http_status;
  if (status.is_object()) {
    const nlohmann::json* code = common::child(&status, "code");
    if (code != nullptr && code->is_number_integer()) {
      const auto value = code->get<std::int64_t>();
      if (value >= 100 && value <= 599) error.http_status = static_cast<int>(value);
    }
    error.reason = common::string_field(&status, "reason");
    error.message = common::string_field(&status, "message");
  }
  if (error.reason.empty()) error.reason = reason_for_http_status(error.http_status);
  error.retryable = is_transient_http_status(error.http_status);
  return error;
}

KubeError error_from_response(int http_status, std::string_view body) {
  const auto parsed = nlohmann::json::parse(body, nullptr, false);
  KubeError error;
  // The HTTP status is what happened to this request; a Status code disagreeing
  // with it (seen behind proxies) must not turn a failure into something else.
  error.http_status = http_status;
  error.retryable = is_transient_http_status(http_status);
  if (parsed.is_object() && common::string_field(&parsed, "kind") == "Status") {
    error.reason = common::string_field(&parsed, "reason");
    error.message = common::string_field(&parsed, "message");
  } else {
    error.message = std::string(body.substr(0, kMaxQuotedBody));
    if (body.size() > kMaxQuotedBody) error.message += "…";
  }
  if (error.reason.empty()) error.reason = reason_for_http_status(http_status);
  return error;
}

}  // namespace autocanary::kube

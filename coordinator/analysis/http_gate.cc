#include "coordinator/analysis/http_gate.h"

#include <cstdlib>

namespace autocanary::analysis {

namespace {

using nlohmann::json;
using Kind = Measurement::Kind;

// Enough of a refusal's body to say why, short enough for a status field.
constexpr std::size_t kBodyExcerpt = 200;

std::string excerpt(std::string_view body) {
  std::string text(body.substr(0, kBodyExcerpt));
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  if (body.size() > kBodyExcerpt) text += "…";
  return text;
}

}  // namespace

json gate_payload(const AnalysisContext& context) {
  return {{"apiVersion", "autocanary.io/v1alpha1"},
          {"kind", "CanaryGateRequest"},
          {"analysis", context.analysis},
          {"namespace", context.namespace_name},
          {"deployment", context.deployment},
          {"canary", context.canary_deployment},
          {"revision", context.revision},
          {"stableRevision", context.stable_revision},
          {"podTemplateHash", context.pod_template_hash},
          {"step", context.step_index},
          {"stepStartedAt", context.step_started_at}};
}

Measurement read_gate_answer(const HttpAnswer& answer, bool judge_value) {
  const std::string status = "the gate answered HTTP " + std::to_string(answer.status);
  if (answer.status < 200 || answer.status > 299) {
    const std::string body = excerpt(answer.body);
    return {Kind::kFailed, 0, status + (body.empty() ? "" : ": " + body), {}};
  }
  if (!judge_value) return {Kind::kPassed, 0, status, {}};
  const json body = json::parse(answer.body, nullptr, false);
  const json* value = &body;
  if (body.is_object()) value = body.contains("value") ? &body["value"] : nullptr;
  if (value != nullptr && value->is_number()) return {Kind::kValue, value->get<double>(), {}, {}};
  if (value != nullptr && value->is_string()) {
    const std::string text = value->get<std::string>();
    char* end = nullptr;
    const double number = std::strtod(text.c_str(), &end);
    if (end != text.c_str() && *end == '\0') return {Kind::kValue, number, {}, {}};
  }
  return {Kind::kError, 0, status + " without a number to judge (a number or {\"value\": number}): " + excerpt(answer.body), {}};
}

HttpGateProvider::HttpGateProvider(policy::AnalysisDefinition definition) : definition_(std::move(definition)) {}

Measurement HttpGateProvider::measure(const AnalysisContext& context, std::stop_token stop) {
  auto endpoint = parse_endpoint(definition_.url);
  if (auto* problem = std::get_if<std::string>(&endpoint)) return {Kind::kError, 0, *problem, {}};
  const HttpAccess access{definition_.timeout, definition_.bearer_token_file, definition_.ca_file,
                          definition_.insecure_skip_verify, definition_.allow_insecure_token};
  const std::string body = gate_payload(context).dump();
  std::string last_problem;
  for (int attempt = 0; attempt <= definition_.retries && !stop.stop_requested(); ++attempt) {
    auto answer = post(std::get<Endpoint>(endpoint), access, "", body, "application/json", stop);
    if (const auto* reply = std::get_if<HttpAnswer>(&answer))
      return read_gate_answer(*reply, definition_.max.has_value() || definition_.min.has_value());
    last_problem = std::get<std::string>(answer);
  }
  return {Kind::kError, 0,
          last_problem + " (" + std::to_string(definition_.retries + 1) + " attempt" +
              (definition_.retries == 0 ? "" : "s") + ")",
          {}};
}

}  // namespace autocanary::analysis

#include "coordinator/analysis/prometheus_provider.h"

#include "coordinator/analysis/prometheus_response.h"
#include "coordinator/analysis/query_template.h"
#include "kube/resource_path.h"

namespace autocanary::analysis {

PrometheusProvider::PrometheusProvider(policy::AnalysisDefinition definition, std::string default_address)
    : definition_(std::move(definition)), default_address_(std::move(default_address)) {}

Measurement PrometheusProvider::measure(const AnalysisContext& context, std::stop_token stop) {
  const std::string& address = definition_.address.empty() ? default_address_ : definition_.address;
  if (address.empty())
    return {Measurement::Kind::kError, 0,
            "no Prometheus address: set prometheus.address in the policy or --prometheus-address", {}};
  auto endpoint = parse_endpoint(address);
  if (auto* problem = std::get_if<std::string>(&endpoint)) return {Measurement::Kind::kError, 0, *problem, {}};
  if (definition_.minimum_sample > 0)
    if (auto insufficient = too_few_samples(std::get<Endpoint>(endpoint), context, stop))
      return *std::move(insufficient);
  return query(std::get<Endpoint>(endpoint), definition_.query, context, stop);
}

std::optional<Measurement> PrometheusProvider::too_few_samples(const Endpoint& endpoint, const AnalysisContext& context,
                                                              std::stop_token stop) const {
  Measurement samples = query(endpoint, definition_.sample_query, context, std::move(stop));
  if (samples.kind == Measurement::Kind::kError) {
    samples.message = "sampleQuery: " + samples.message;
    return samples;
  }
  // No series (or NaN) counts as no samples: no traffic yet.
  const double count = samples.kind == Measurement::Kind::kValue ? samples.value : 0;
  if (count >= definition_.minimum_sample) return std::nullopt;
  return Measurement{Measurement::Kind::kTooFewSamples, 0,
                     format_value(count) + " samples, fewer than minimumSample " +
                         std::to_string(definition_.minimum_sample) + " (sampleQuery)",
                     {}};
}

Measurement PrometheusProvider::query(const Endpoint& endpoint, const std::string& query_template,
                                      const AnalysisContext& context, std::stop_token stop) const {
  auto rendered = render_query(query_template, context);
  if (auto* problem = std::get_if<QueryError>(&rendered))
    return {Measurement::Kind::kError, 0, "cannot fill in the query: " + problem->message, {}};
  const std::string& query = std::get<std::string>(rendered);

  const HttpAccess access{definition_.timeout, definition_.bearer_token_file, definition_.ca_file,
                          definition_.insecure_skip_verify, definition_.allow_insecure_token};
  // POST: a long query never meets a URL length limit.
  auto answer = post(endpoint, access, "/api/v1/query", "query=" + kube::percent_encode(query),
                     "application/x-www-form-urlencoded", std::move(stop));
  if (auto* problem = std::get_if<std::string>(&answer))
    return {Measurement::Kind::kError, 0, "cannot reach Prometheus: " + *problem, {}};
  const auto& reply = std::get<HttpAnswer>(answer);
  return read_prometheus_answer(reply.status, reply.body, query);
}

}  // namespace autocanary::analysis

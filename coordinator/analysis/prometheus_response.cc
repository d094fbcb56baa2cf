#include "coordinator/analysis/prometheus_response.h"

#include <cmath>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "common/json_fields.h"

namespace autocanary::analysis {

namespace {

using nlohmann::json;
using Kind = Measurement::Kind;

Measurement error(std::string message) { return {Kind::kError, 0, std::move(message), {}}; }

// A sample is [timestamp, "value"]; Prometheus writes values as strings so
// that NaN and ±Inf survive JSON.
Measurement sample_value(const json& sample, std::string_view query) {
  if (!sample.is_array() || sample.size() != 2 || !sample[1].is_string())
    return error("Prometheus answered a sample that is not [time, \"value\"]");
  const std::string text = sample[1].get<std::string>();
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0') return error("Prometheus answered a value that is not a number: " + text);
  if (std::isnan(value))
    return {Kind::kNoData, 0, "the query's value is NaN (nothing to divide: no requests yet?): " + std::string(query), {}};
  return {Kind::kValue, value, {}, {}};
}

}  // namespace

Measurement read_prometheus_answer(int http_status, std::string_view body, std::string_view query) {
  const json answer = json::parse(body, nullptr, false);
  if (!answer.is_object())
    return error("Prometheus answered HTTP " + std::to_string(http_status) + " without a JSON body");
  if (common::string_field(&answer, "status") != "success") {
    const std::string type = common::string_field(&answer, "errorType");
    const std::string why = common::string_field(&answer, "error");
    return error("Prometheus refused the query (HTTP " + std::to_string(http_status) +
                 (type.empty() ? "" : ", " + type) + "): " + (why.empty() ? "no reason given" : why) +
                 "; query: " + std::string(query));
  }
  const json* data = answer.contains("data") && answer["data"].is_object() ? &answer["data"] : nullptr;
  if (data == nullptr) return error("Prometheus answered success without data");
  const std::string type = common::string_field(data, "resultType");
  const auto result = data->find("result");
  if (result == data->end()) return error("Prometheus answered without a result");
  if (type == "scalar") return sample_value(*result, query);
  if (type != "vector")
    return error("the query returned a " + type + "; an analysis needs a single value (an instant vector of one series or a scalar)");
  if (!result->is_array()) return error("Prometheus answered a vector that is not a list");
  if (result->empty()) return {Kind::kNoData, 0, "the query returned no series: " + std::string(query), {}};
  if (result->size() > 1)
    return error("the query returned " + std::to_string(result->size()) +
                 " series; an analysis needs exactly one (aggregate it, e.g. with sum(...))");
  const json& series = result->front();
  if (!series.is_object() || !series.contains("value")) return error("Prometheus answered a series without a value");
  return sample_value(series["value"], query);
}

}  // namespace autocanary::analysis

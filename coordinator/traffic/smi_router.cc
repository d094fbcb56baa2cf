#include "coordinator/traffic/smi_router.h"

#include <cstdlib>

#include "common/json_fields.h"
#include "coordinator/traffic/backend_services.h"
#include "coordinator/traffic/routing_objects.h"

namespace autocanary::traffic {

namespace {

using nlohmann::json;

bool is_v1alpha1(const std::string& api_version) { return api_version.ends_with("/v1alpha1"); }

std::string split_name(const RolloutTarget& target) { return target.service_name + "-autocanary"; }

kube::ResourceRef split_ref(const RolloutTarget& target) {
  return routing_ref(target.api_version, "trafficsplits", target.namespace_name, split_name(target));
}

}  // namespace

std::string weight_quantity(int percent) {
  const int milli = percent * 10;
  if (milli == 0) return "0";
  if (milli % 1000 == 0) return std::to_string(milli / 1000);
  return std::to_string(milli) + "m";
}

std::optional<double> parse_quantity(const json& value) {
  if (value.is_number()) return value.get<double>();
  if (!value.is_string()) return std::nullopt;
  std::string text = value.get<std::string>();
  double scale = 1;
  if (text.ends_with("m")) {
    scale = 0.001;
    text.pop_back();
  }
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  const double number = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || number < 0) return std::nullopt;
  return number * scale;
}

json build_traffic_split(const RolloutTarget& target, int weight) {
  const bool quantities = is_v1alpha1(target.api_version);
  const auto weight_value = [&](int percent) -> json {
    return quantities ? json(weight_quantity(percent)) : json(percent);
  };
  return {{"apiVersion", target.api_version},
          {"kind", "TrafficSplit"},
          {"metadata", routing_metadata(target, split_name(target))},
          {"spec",
           {{"service", target.service_name},
            {"backends",
             json::array({{{"service", backend_service_name(target.service_name, Track::kStable)},
                           {"weight", weight_value(100 - weight)}},
                          {{"service", backend_service_name(target.service_name, Track::kCanary)},
                           {"weight", weight_value(weight)}}})}}}};
}

std::optional<int> traffic_split_weight(const json& split, const std::string& service) {
  const json* backends = common::child(common::child(&split, "spec"), "backends");
  if (backends == nullptr || !backends->is_array()) return std::nullopt;
  double stable = -1;  // -1: no such backend
  double canary = -1;
  for (const json& backend : *backends) {
    const std::string name = common::string_field(&backend, "service");
    const json* weight = common::child(&backend, "weight");
    const double value = weight != nullptr ? parse_quantity(*weight).value_or(-1) : -1;
    if (name == backend_service_name(service, Track::kStable)) stable = value;
    if (name == backend_service_name(service, Track::kCanary)) canary = value;
  }
  if (stable < 0 || canary < 0) return std::nullopt;
  return percent_of(canary, stable);
}

kube::Result<std::optional<int>> SmiRouter::routed_weight(const RolloutTarget& target) {
  auto split = get_if_exists(client_, split_ref(target));
  if (!split) return std::move(split).error();
  if (!split->has_value() || !is_ours(**split, target.deployment)) return std::optional<int>();
  // A split we cannot read routes an unknown share: report 100 so that the
  // planner writes the weight it wants instead of trusting it.
  return std::optional<int>(traffic_split_weight(**split, target.service_name).value_or(100));
}

kube::Result<void> SmiRouter::route(const RolloutTarget& target, int weight) {
  // Backends before the split: a split must never name a Service that is missing.
  if (auto services = ensure_backend_services(client_, target); !services) return services;
  return reweight(target, weight);
}

kube::Result<void> SmiRouter::reweight(const RolloutTarget& target, int weight) {
  return ensure_owned(client_, split_ref(target), build_traffic_split(target, weight), target.deployment, {"/spec"});
}

kube::Result<void> SmiRouter::unroute(const RolloutTarget& target) {
  // The split first: the apex then serves the stable pods directly.
  if (auto removed = remove_owned(client_, split_ref(target), target.deployment); !removed) return removed;
  return remove_backend_services(client_, target);
}

kube::Result<bool> SmiRouter::leftovers(const RolloutTarget& target) {
  return backend_services_exist(client_, target);
}

}  // namespace autocanary::traffic

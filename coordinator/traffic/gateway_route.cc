#include "coordinator/traffic/gateway_route.h"

#include <algorithm>
#include <cstdint>
#include <numeric>

#include "common/json_fields.h"
#include "coordinator/traffic/backend_services.h"
#include "coordinator/traffic/routing_objects.h"
#include "policy/names.h"

namespace autocanary::traffic {

namespace {

using nlohmann::json;

// The largest weight a backendRef may carry (the CRDs' maximum).
constexpr std::int64_t kMaxWeight = 1000000;

enum class RefKind { kOther, kService, kStable, kCanary };

struct Scope {
  const std::string& service;
  std::string namespace_name;
};

bool names_core_service(const json& ref, const std::string& name, const std::string& route_namespace) {
  if (!ref.is_object()) return false;
  const json* group = common::child(&ref, "group");
  const json* kind = common::child(&ref, "kind");
  const json* ns = common::child(&ref, "namespace");
  return common::string_field(&ref, "name") == name &&
         (group == nullptr || (group->is_string() && group->get<std::string>().empty())) &&
         (kind == nullptr || (kind->is_string() && kind->get<std::string>() == "Service")) &&
         (ns == nullptr || (ns->is_string() && ns->get<std::string>() == route_namespace));
}

RefKind kind_of(const json& ref, const Scope& scope) {
  if (names_core_service(ref, scope.service, scope.namespace_name)) return RefKind::kService;
  if (names_core_service(ref, backend_service_name(scope.service, Track::kStable), scope.namespace_name))
    return RefKind::kStable;
  if (names_core_service(ref, backend_service_name(scope.service, Track::kCanary), scope.namespace_name))
    return RefKind::kCanary;
  return RefKind::kOther;
}

// A backendRef's weight as the API defines it: 1 when omitted.
std::int64_t weight_of(const json& ref) {
  const json* weight = common::child(&ref, "weight");
  return weight != nullptr && weight->is_number_integer() ? std::max<std::int64_t>(weight->get<std::int64_t>(), 0) : 1;
}

const json& refs_of(const json& rule) { return common::array_field(&rule, "backendRefs"); }

bool touches_service(const json& rule, const Scope& scope) {
  const json& refs = refs_of(rule);
  return std::any_of(refs.begin(), refs.end(), [&](const json& ref) { return kind_of(ref, scope) != RefKind::kOther; });
}

bool reweighted_rule(const json& rule, const Scope& scope) {
  const json& refs = refs_of(rule);
  return std::any_of(refs.begin(), refs.end(), [&](const json& ref) {
    const RefKind kind = kind_of(ref, scope);
    return kind == RefKind::kStable || kind == RefKind::kCanary;
  });
}

// A ref without its name and weight: what a stable/canary pair shares.
json shape_of(json ref) {
  ref.erase("name");
  ref.erase("weight");
  return ref;
}

// Divides every weight by their greatest common divisor (zeros aside), so the
// same split always reads the same.
void reduce_weights(std::vector<std::int64_t>& weights) {
  std::int64_t divisor = 0;
  for (const std::int64_t weight : weights) divisor = std::gcd(divisor, weight);
  if (divisor > 1)
    for (std::int64_t& weight : weights) weight /= divisor;
}

// What a rule routes, with every stable/canary pair merged back into one ref
// to the Service, weights explicit and reduced: the split the user meant.
std::vector<json> canonical_refs(const json& refs, const Scope& scope) {
  std::vector<json> merged;
  std::vector<std::int64_t> weights;
  for (std::size_t i = 0; i < refs.size(); ++i) {
    const RefKind kind = kind_of(refs[i], scope);
    std::int64_t weight = weight_of(refs[i]);
    json ref = refs[i];
    if (kind == RefKind::kStable || kind == RefKind::kCanary) {
      // A pair is written stable first, its canary right after it.
      if (kind == RefKind::kStable && i + 1 < refs.size() && kind_of(refs[i + 1], scope) == RefKind::kCanary &&
          shape_of(refs[i]) == shape_of(refs[i + 1])) {
        weight += weight_of(refs[i + 1]);
        ++i;
      }
      ref["name"] = scope.service;
    }
    merged.push_back(std::move(ref));
    weights.push_back(weight);
  }
  reduce_weights(weights);
  for (std::size_t i = 0; i < merged.size(); ++i) merged[i]["weight"] = weights[i];
  return merged;
}

// The rule's refs with `weight` percent of each Service ref's share to the
// canary; an empty string, or why the split cannot be written.
std::string split_refs(json& rule, const Scope& scope, int weight) {
  const std::vector<json> base = canonical_refs(refs_of(rule), scope);
  std::vector<json> refs;
  std::vector<std::int64_t> weights;
  for (const json& ref : base) {
    const std::int64_t share = weight_of(ref);
    if (kind_of(ref, scope) != RefKind::kService) {
      refs.push_back(ref);
      weights.push_back(share * 100);
      continue;
    }
    json stable = ref;
    json canary = ref;
    stable["name"] = backend_service_name(scope.service, Track::kStable);
    canary["name"] = backend_service_name(scope.service, Track::kCanary);
    refs.push_back(std::move(stable));
    weights.push_back(share * (100 - weight));
    refs.push_back(std::move(canary));
    weights.push_back(share * weight);
  }
  if (std::any_of(weights.begin(), weights.end(), [](std::int64_t w) { return w > kMaxWeight; })) {
    reduce_weights(weights);
    if (std::any_of(weights.begin(), weights.end(), [](std::int64_t w) { return w > kMaxWeight; }))
      return "its backendRef weights are too large to split in percent (above " + std::to_string(kMaxWeight / 100) +
             ")";
  }
  json written = json::array();
  for (std::size_t i = 0; i < refs.size(); ++i) {
    refs[i]["weight"] = weights[i];
    written.push_back(std::move(refs[i]));
  }
  rule["backendRefs"] = std::move(written);
  return {};
}

json rule_key(json rule) {
  if (rule.is_object()) rule.erase("backendRefs");
  return rule;
}

// The recorded rules: [{"rule": <rule without backendRefs>, "backendRefs": [...]}].
json recorded_rules(const json& route) {
  const auto text = common::annotation(route, names::kOriginalRoutesAnnotation);
  if (!text) return json::array();
  json parsed = json::parse(*text, nullptr, false);
  return parsed.is_array() ? parsed : json::array();
}

Scope scope_of(const json& route, const std::string& service) {
  return {service, common::metadata_string(route, "namespace")};
}

json* rules_of(json& route) {
  const json::json_pointer path{"/spec/rules"};
  if (!route.contains(path) || !route.at(path).is_array()) return nullptr;
  return &route.at(path);
}

}  // namespace

bool refers_to_service(const json& ref, const std::string& service, const std::string& route_namespace) {
  return names_core_service(ref, service, route_namespace);
}

bool attached_to_gateway(const json& route) {
  const json& parents = common::array_field(common::child(&route, "spec"), "parentRefs");
  return std::any_of(parents.begin(), parents.end(), [](const json& parent) {
    const json* group = common::child(&parent, "group");
    const json* kind = common::child(&parent, "kind");
    return (group == nullptr || common::optional_string(group) == "gateway.networking.k8s.io") &&
           (kind == nullptr || common::optional_string(kind) == "Gateway");
  });
}

bool sends_to_service(const json& route, const std::string& service) {
  const Scope scope = scope_of(route, service);
  const json& rules = common::array_field(common::child(&route, "spec"), "rules");
  return std::any_of(rules.begin(), rules.end(), [&](const json& rule) { return touches_service(rule, scope); });
}

RouteRewrite reweight_user_route(const json& route, const std::string& service, int weight) {
  weight = std::clamp(weight, 0, 100);
  const Scope scope = scope_of(route, service);
  json result = route;
  json* rules = rules_of(result);
  if (rules == nullptr) return {};
  json records = recorded_rules(route);
  bool any = false;
  for (json& rule : *rules) {
    if (!touches_service(rule, scope)) continue;
    any = true;
    // First time: keep the user's refs exactly as written.
    if (!reweighted_rule(rule, scope)) records.push_back({{"rule", rule_key(rule)}, {"backendRefs", rule["backendRefs"]}});
    if (std::string problem = split_refs(rule, scope, weight); !problem.empty()) {
      return {std::nullopt, "rule " + rule_key(rule).dump() + ": " + problem};
    }
  }
  if (!any) return {};
  result["metadata"]["annotations"][std::string(names::kOriginalRoutesAnnotation)] = records.dump();
  return {std::move(result), ""};
}

std::vector<std::optional<int>> user_route_weights(const json& route, const std::string& service) {
  const Scope scope = scope_of(route, service);
  std::vector<std::optional<int>> weights;
  for (const json& rule : common::array_field(common::child(&route, "spec"), "rules")) {
    if (!touches_service(rule, scope)) continue;
    if (!reweighted_rule(rule, scope)) {
      weights.emplace_back();
      continue;
    }
    double stable = 0;
    double canary = 0;
    bool plain = false;  // a Service ref beside the pairs: that share is not split yet
    for (const json& ref : refs_of(rule)) {
      switch (kind_of(ref, scope)) {
        case RefKind::kStable: stable += static_cast<double>(weight_of(ref)); break;
        case RefKind::kCanary: canary += static_cast<double>(weight_of(ref)); break;
        case RefKind::kService: plain = plain || weight_of(ref) > 0; break;
        case RefKind::kOther: break;
      }
    }
    weights.emplace_back(plain ? std::nullopt : std::optional<int>(percent_of(canary, stable)));
  }
  return weights;
}

json restore_user_route(const json& route, const std::string& service) {
  const Scope scope = scope_of(route, service);
  json result = route;
  json records = recorded_rules(route);
  std::vector<bool> used(records.size(), false);
  if (json* rules = rules_of(result)) {
    for (json& rule : *rules) {
      if (!reweighted_rule(rule, scope)) continue;
      const json key = rule_key(rule);
      const std::vector<json> routed = canonical_refs(refs_of(rule), scope);
      // The record of this rule's content whose split is the one routed now;
      // a rule whose backends the user changed meanwhile keeps the change.
      bool restored = false;
      for (std::size_t i = 0; i < records.size() && !restored; ++i) {
        const json& record = records[i];
        if (used[i] || !record.is_object() || common::value_at(record, "/rule") != key) continue;
        const json& original = common::value_at(record, "/backendRefs");
        if (!original.is_array() || canonical_refs(original, scope) != routed) continue;
        rule["backendRefs"] = original;
        used[i] = true;
        restored = true;
      }
      if (!restored) rule["backendRefs"] = routed;
    }
  }
  const json::json_pointer annotations_path{"/metadata/annotations"};
  if (result.contains(annotations_path) && result.at(annotations_path).is_object()) {
    json& annotations = result.at(annotations_path);
    annotations.erase(std::string(names::kOriginalRoutesAnnotation));
    if (annotations.empty()) result["metadata"].erase("annotations");
  }
  return result;
}

}  // namespace autocanary::traffic

#include "coordinator/traffic/istio_router.h"

#include <algorithm>
#include <cstdlib>

#include "common/json_fields.h"
#include "coordinator/traffic/backend_services.h"
#include "coordinator/traffic/routing_objects.h"
#include "policy/names.h"

namespace autocanary::traffic {

namespace {

using nlohmann::json;

std::string our_name(const RolloutTarget& target) { return target.service_name + "-autocanary"; }

kube::ResourceRef virtual_service_ref(const RolloutTarget& target, const std::string& name) {
  return routing_ref(target.api_version, "virtualservices", target.namespace_name, name);
}

// `host` (one of the forms names_service() accepts for the Service) with the
// Service's name replaced by its backend Service's for `track`.
std::string backend_host(const std::string& host, const RolloutTarget& target, Track track) {
  return backend_service_name(target.service_name, track) + host.substr(target.service_name.size());
}

json weighted_route(json stable_destination, const RolloutTarget& target, int weight) {
  stable_destination.erase("subset");
  const std::string host = common::string_field(&stable_destination, "host");
  json canary_destination = stable_destination;
  stable_destination["host"] = backend_host(host, target, Track::kStable);
  canary_destination["host"] = backend_host(host, target, Track::kCanary);
  return json::array({{{"destination", std::move(stable_destination)}, {"weight", 100 - weight}},
                      {{"destination", std::move(canary_destination)}, {"weight", weight}}});
}

// The recorded original routes: [{"http": <the HTTP route without its "route">,
// "route": <its destinations>}], matched by content so that routes the user
// inserts or reorders meanwhile move nothing. (Before, {"<index>": route}: still
// read, by index, for a rollout that began under an older version.)
json recorded_routes(const json& virtual_service) {
  const std::string text = common::annotation(virtual_service, names::kOriginalRoutesAnnotation).value_or("");
  if (text.empty()) return json::array();
  json parsed = json::parse(text, nullptr, false);
  return parsed.is_array() || parsed.is_object() ? parsed : json::array();
}

json route_key(json http_route) {
  if (http_route.is_object()) http_route.erase("route");
  return http_route;
}

// The stable destination of an HTTP route reweighted before, with the host
// named back to the Service's; nullopt when the route is not one of those.
std::optional<json> reweighted_destination(const json& http_route, const RolloutTarget& target) {
  const std::string stable_service = backend_service_name(target.service_name, Track::kStable);
  const std::string canary_service = backend_service_name(target.service_name, Track::kCanary);
  const json& route = common::array_field(&http_route, "route");
  std::optional<json> stable;
  bool canary = false;
  for (const json& entry : route) {
    const json* destination = common::child(&entry, "destination");
    const std::string host = common::string_field(destination, "host");
    if (names_service(host, stable_service, target.namespace_name)) {
      stable = *destination;
      (*stable)["host"] = target.service_name + host.substr(stable_service.size());
    } else if (names_service(host, canary_service, target.namespace_name)) {
      canary = true;
    } else {
      return std::nullopt;
    }
  }
  if (!canary) return std::nullopt;
  return stable;
}

bool routes_only_to(const json& http_route, const RolloutTarget& target) {
  const json* route = common::child(&http_route, "route");
  if (route == nullptr || !route->is_array() || route->empty()) return false;
  return std::all_of(route->begin(), route->end(), [&](const json& destination) {
    return names_service(common::string_field(common::child(&destination, "destination"), "host"), target.service_name,
                         target.namespace_name);
  });
}

bool hosts_service(const json& virtual_service, const RolloutTarget& target) {
  const json* hosts = common::child(common::child(&virtual_service, "spec"), "hosts");
  if (hosts == nullptr || !hosts->is_array()) return false;
  return std::any_of(hosts->begin(), hosts->end(), [&](const json& host) {
    return host.is_string() && names_service(host.get<std::string>(), target.service_name, target.namespace_name);
  });
}

}  // namespace

bool names_service(const std::string& host, const std::string& service, const std::string& namespace_name) {
  const std::string qualified = service + "." + namespace_name;
  return host == service || host == qualified || host == qualified + ".svc" || host == qualified + ".svc.cluster.local";
}

json build_virtual_service(const RolloutTarget& target, int weight) {
  return {{"apiVersion", target.api_version},
          {"kind", "VirtualService"},
          {"metadata", routing_metadata(target, our_name(target))},
          {"spec",
           {{"hosts", json::array({target.service_name})},
            {"http", json::array({{{"route", weighted_route({{"host", target.service_name}}, target, weight)}}})}}}};
}

std::optional<json> reweight_user_virtual_service(const json& virtual_service, const RolloutTarget& target,
                                                  int weight) {
  json result = virtual_service;
  json originals = recorded_routes(virtual_service);
  const json::json_pointer http_path{"/spec/http"};
  if (!result.contains(http_path) || !result.at(http_path).is_array()) return std::nullopt;
  bool any = false;
  for (json& http_route : result.at(http_path)) {
    std::optional<json> destination = reweighted_destination(http_route, target);
    if (!destination) {
      if (!routes_only_to(http_route, target)) continue;
      const json& route = http_route["route"];
      if (originals.is_array()) originals.push_back({{"http", route_key(http_route)}, {"route", route}});
      destination = route[0].contains("destination") ? route[0]["destination"] : json{{"host", target.service_name}};
    }
    http_route["route"] = weighted_route(std::move(*destination), target, weight);
    any = true;
  }
  if (!any) return std::nullopt;
  result["metadata"]["annotations"][std::string(names::kOriginalRoutesAnnotation)] = originals.dump();
  return result;
}

json restore_user_virtual_service(const json& virtual_service, const RolloutTarget& target) {
  json result = virtual_service;
  const json originals = recorded_routes(virtual_service);
  const json::json_pointer http_path{"/spec/http"};
  if (result.contains(http_path) && result.at(http_path).is_array()) {
    json& http = result.at(http_path);
    if (originals.is_object()) {  // the index-keyed records of an older version
      for (const auto& [key, route] : originals.items()) {
        const auto index = static_cast<std::size_t>(std::strtoul(key.c_str(), nullptr, 10));
        if (index < http.size() && reweighted_destination(http[index], target)) http[index]["route"] = route;
      }
    }
    std::vector<bool> used(originals.is_array() ? originals.size() : 0, false);
    for (json& http_route : http) {
      const std::optional<json> destination = reweighted_destination(http_route, target);
      if (!destination) continue;
      const json key = route_key(http_route);
      bool restored = false;
      for (std::size_t i = 0; i < used.size() && !restored; ++i) {
        if (used[i] || common::value_at(originals[i], "/http") != key) continue;
        http_route["route"] = common::value_at(originals[i], "/route");
        used[i] = restored = true;
      }
      // A route the user changed meanwhile: back to the one destination.
      if (!restored) http_route["route"] = json::array({{{"destination", *destination}}});
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

std::optional<int> virtual_service_weight(const json& virtual_service, const RolloutTarget& target) {
  const std::string stable_service = backend_service_name(target.service_name, Track::kStable);
  const std::string canary_service = backend_service_name(target.service_name, Track::kCanary);
  const json* http = common::child(common::child(&virtual_service, "spec"), "http");
  if (http == nullptr || !http->is_array()) return std::nullopt;
  for (const json& entry : *http) {
    const json* route = common::child(&entry, "route");
    if (route == nullptr || !route->is_array()) continue;
    double stable = -1;  // -1: no such backend
    double canary = -1;
    for (const json& destination : *route) {
      const std::string host = common::string_field(common::child(&destination, "destination"), "host");
      const json* weight = common::child(&destination, "weight");
      const double value = weight != nullptr && weight->is_number() ? weight->get<double>() : 0.0;
      if (names_service(host, stable_service, target.namespace_name)) stable = value;
      if (names_service(host, canary_service, target.namespace_name)) canary = value;
    }
    if (stable >= 0 && canary >= 0) return percent_of(canary, stable);
  }
  return std::nullopt;
}

kube::Result<std::optional<json>> IstioRouter::user_virtual_service(const RolloutTarget& target) {
  // Observing and then reweighting in one pass: the namespace is listed once.
  const std::string collection = target.api_version + " virtualservices " + target.namespace_name;
  const std::vector<json>* read = nullptr;
  if (target.reads != nullptr)
    if (const auto found = target.reads->lists.find(collection); found != target.reads->lists.end())
      read = &found->second;
  std::vector<json> items;
  if (read != nullptr) {
    items = *read;
  } else {
    auto listed = client_.list(routing_ref(target.api_version, "virtualservices", target.namespace_name), {});
    if (!listed) return std::move(listed).error();
    items = std::move(listed->items);
    if (target.reads != nullptr) target.reads->lists[collection] = items;
  }
  std::sort(items.begin(), items.end(), [](const json& a, const json& b) {
    return common::metadata_string(a, "name") < common::metadata_string(b, "name");
  });
  for (json& item : items) {
    if (is_ours(item, target.deployment) || !hosts_service(item, target)) continue;
    if (!recorded_routes(item).empty() || reweight_user_virtual_service(item, target, 0))
      return std::optional<json>(std::move(item));
  }
  return std::optional<json>();
}

kube::Result<std::optional<int>> IstioRouter::routed_weight(const RolloutTarget& target) {
  auto user = user_virtual_service(target);
  if (!user) return std::move(user).error();
  if (user->has_value() && !recorded_routes(**user).empty())
    return std::optional<int>(virtual_service_weight(**user, target).value_or(100));
  auto ours = get_if_exists(client_, virtual_service_ref(target, our_name(target)));
  if (!ours) return std::move(ours).error();
  if (!ours->has_value() || !is_ours(**ours, target.deployment)) return std::optional<int>();
  return std::optional<int>(virtual_service_weight(**ours, target).value_or(100));
}

kube::Result<void> IstioRouter::route(const RolloutTarget& target, int weight) {
  // The backend Services before the routes that use them.
  if (auto backends = ensure_backend_services(client_, target); !backends) return backends;
  auto user = user_virtual_service(target);
  if (!user) return std::move(user).error();
  forget_reads(target);  // what follows writes
  if (!user->has_value())
    return ensure_owned(client_, virtual_service_ref(target, our_name(target)), build_virtual_service(target, weight),
                        target.deployment, {"/spec"});
  auto updated = kube::update_with_conflict_retry(
      client_, virtual_service_ref(target, common::metadata_string(**user, "name")), [&](json& live) {
        auto reweighted = reweight_user_virtual_service(live, target, weight);
        if (!reweighted || *reweighted == live) return false;
        live = std::move(*reweighted);
        return true;
      });
  if (!updated) return std::move(updated).error();
  return {};
}

kube::Result<void> IstioRouter::unroute(const RolloutTarget& target) {
  forget_reads(target);
  auto user = user_virtual_service(target);
  if (!user) return std::move(user).error();
  if (user->has_value() && !recorded_routes(**user).empty()) {
    auto restored = kube::update_with_conflict_retry(
        client_, virtual_service_ref(target, common::metadata_string(**user, "name")), [&target](json& live) {
          if (recorded_routes(live).empty()) return false;
          live = restore_user_virtual_service(live, target);
          return true;
        });
    if (!restored) return std::move(restored).error();
  }
  if (auto removed = remove_owned(client_, virtual_service_ref(target, our_name(target)), target.deployment); !removed)
    return removed;
  return remove_backend_services(client_, target);
}

void IstioRouter::forget_reads(const RolloutTarget& target) {
  if (target.reads != nullptr) target.reads->lists.clear();
}

kube::Result<bool> IstioRouter::leftovers(const RolloutTarget& target) {
  return backend_services_exist(client_, target);
}

}  // namespace autocanary::traffic

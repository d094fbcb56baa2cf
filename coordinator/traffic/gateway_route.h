// The user's own Gateway API routes (HTTPRoute, GRPCRoute), reweighted in place.
// Pure: routes come in and go out as JSON.
//
// In every rule of a route, a backendRef to the user's Service becomes the pair
// `<svc>-stable` / `<svc>-canary` (backend_services.h), splitting that ref's
// share of the rule; every other backendRef of the rule keeps its share (its
// weight scaled like the pair's). Everything else — other rules, matches,
// filters, parentRefs, hostnames — is left as the user wrote it. The rules'
// original backendRefs are recorded once in the original-routes annotation,
// keyed by the rule's content without its backendRefs (never by position), so
// a rule the user inserts, removes or reorders meanwhile moves nothing else.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace autocanary::traffic {

// Whether `ref` (a backendRef of a route in `route_namespace`) names Service `service`.
[[nodiscard]] bool refers_to_service(const nlohmann::json& ref, const std::string& service,
                                     const std::string& route_namespace);

// Whether a parentRef of `route` is a Gateway (as opposed to a Service: GAMMA).
[[nodiscard]] bool attached_to_gateway(const nlohmann::json& route);

// Whether a rule of `route` sends to `service`, or to its backend Services
// (the route is reweighted already).
[[nodiscard]] bool sends_to_service(const nlohmann::json& route, const std::string& service);

struct RouteRewrite {
  std::optional<nlohmann::json> route;  // nullopt: no rule sends to the Service
  std::string problem;                  // set when a rule's weights cannot be split
};

// `route` with `weight` percent of its Service's share in each rule sent to the
// canary. A rule reweighted before is reweighted again from what it routes now,
// so a rule the user changed meanwhile keeps the change.
[[nodiscard]] RouteRewrite reweight_user_route(const nlohmann::json& route, const std::string& service, int weight);

// One entry per rule of `route` that sends to the Service or its backend
// Services: the canary's percentage of the Service's share, or nullopt for a
// rule not reweighted (it still sends to the Service itself).
[[nodiscard]] std::vector<std::optional<int>> user_route_weights(const nlohmann::json& route,
                                                                 const std::string& service);

// `route` as before the canary: each reweighted rule gets back the backendRefs
// recorded for its content (or, for a rule the user has changed since, its
// pairs merged back into the Service), and the annotation is removed.
[[nodiscard]] nlohmann::json restore_user_route(const nlohmann::json& route, const std::string& service);

}  // namespace autocanary::traffic

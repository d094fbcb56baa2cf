#include "webhook/decision/shim_injection.h"

#include <algorithm>
#include <set>

#include "common/json_fields.h"

namespace autocanary::decision {

namespace {

using nlohmann::json;

std::set<int> ports_in_use(const json& pod_spec) {
  std::set<int> used;
  for (const char* key : {"containers", "initContainers"})
    for (const json& container : common::array_field(&pod_spec, key))
      for (const json& port : container.value("ports", json::array()))
        if (port.contains("containerPort") && port["containerPort"].is_number_integer())
          used.insert(port["containerPort"].get<int>());
  return used;
}

// What the shim checks: each app container's own readiness probe when it has
// one, else a TCP connect to each TCP port it declares.
json probes_for(const json& pod_spec) {
  json probes = json::array();
  for (const json& container : common::array_field(&pod_spec, "containers")) {
    const json probe = container.value("readinessProbe", json());
    if (probe.is_object() && (probe.contains("httpGet") || probe.contains("tcpSocket"))) {
      probes.push_back(probe);
      continue;
    }
    for (const json& port : container.value("ports", json::array())) {
      if (common::optional_string(common::child(&port, "protocol")).value_or("TCP") != "TCP" || !port.contains("containerPort")) continue;
      probes.push_back({{"tcpSocket", {{"port", port["containerPort"]}}}});
    }
  }
  return probes;
}

bool any_https(const json& probes) {
  const json::json_pointer scheme{"/httpGet/scheme"};
  return std::any_of(probes.begin(), probes.end(), [&](const json& probe) {
    return probe.contains(scheme) && probe.at(scheme) == "HTTPS";
  });
}

bool any_readiness_probe(const json& pod_spec) {
  for (const json& container : common::array_field(&pod_spec, "containers"))
    if (container.contains("readinessProbe")) return true;
  return false;
}

}  // namespace

std::optional<json> shim_injected(const json& pod_template, const ShimSettings& settings, policy::ShimInjection mode) {
  if (settings.image.empty() || mode == policy::ShimInjection::kNever || has_shim(pod_template) ||
      !pod_template.contains("spec") || !pod_template["spec"].is_object())
    return std::nullopt;
  const json& spec = pod_template["spec"];
  if (mode == policy::ShimInjection::kWhenNoProbe && any_readiness_probe(spec)) return std::nullopt;
  const json probes = probes_for(spec);
  if (probes.empty()) return std::nullopt;

  std::set<int> used = ports_in_use(spec);
  // A mesh's sidecar, injected after us or beside us, listens on ports its
  // container does not declare: keep clear of them too.
  used.insert(std::begin(kMeshSidecarPorts), std::end(kMeshSidecarPorts));
  int port = settings.port;
  while (used.contains(port)) ++port;

  const json http_probe = {{"path", "/ready"}, {"port", port}};
  json shim = {
      {"name", kShimContainerName},
      {"image", settings.image},
      {"restartPolicy", "Always"},
      {"args", {"--port", std::to_string(port)}},
      {"env", {{{"name", "AUTOCANARY_SHIM_PROBES"}, {"value", probes.dump()}}}},
      {"ports", {{{"name", "autocanary-shim"}, {"containerPort", port}, {"protocol", "TCP"}}}},
      // Two failures, one second apart: a single lost probe (a busy node, a
      // dropped connection) does not take the pod out of its Services.
      {"readinessProbe", {{"httpGet", http_probe}, {"periodSeconds", 1}, {"failureThreshold", 2}}},
      {"livenessProbe",
       {{"httpGet", {{"path", "/live"}, {"port", port}}}, {"periodSeconds", 10}, {"failureThreshold", 3}}},
      {"resources",
       {{"requests", {{"cpu", "5m"}, {"memory", "8Mi"}}}, {"limits", {{"cpu", "50m"}, {"memory", "16Mi"}}}}},
      {"securityContext",
       {{"runAsNonRoot", true},
        {"runAsUser", 65532},
        {"readOnlyRootFilesystem", true},
        {"allowPrivilegeEscalation", false},
        {"capabilities", {{"drop", {"ALL"}}}},
        // What Pod Security "restricted" asks of every container.
        {"seccompProfile", {{"type", "RuntimeDefault"}}}}},
  };
  if (any_https(probes)) shim["command"] = {kShimTlsCommand};
  json injected = pod_template;
  injected["spec"]["initContainers"].push_back(std::move(shim));
  return injected;
}

json with_shim(const json& pod_template, const ShimSettings& settings, policy::ShimInjection mode) {
  auto injected = shim_injected(pod_template, settings, mode);
  return injected ? std::move(*injected) : pod_template;
}

}  // namespace autocanary::decision

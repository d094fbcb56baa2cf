// Objects as the apiserver returns them, for the plugin's tests: a canary
// waiting for approval at its second step, and its workloads.
#pragma once

#include <chrono>

#include <nlohmann/json.hpp>

#include "cli/canary_view.h"
#include "common/rfc3339.h"

namespace autocanary::cli::testing {

inline Clock::time_point at(const char* text) { return *common::parse_rfc3339(text); }

inline nlohmann::json waiting_canary() {
  return nlohmann::json::parse(R"({
    "apiVersion": "autocanary.io/v1alpha1", "kind": "Canary",
    "metadata": {"name": "web", "namespace": "shop", "creationTimestamp": "2024-05-01T10:00:00Z"},
    "spec": {},
    "status": {
      "phase": "WaitingForApproval", "revision": "aaaaaaaaaa", "stableRevision": "bbbbbbbbbb",
      "currentStep": 1, "stepDescription": "pause until approved", "canaryWeight": 20, "actualWeight": 33,
      "routing": {"router": "podRatio", "reason": "no routing API"},
      "message": "waiting for approval",
      "steps": [
        {"index": 0, "description": "setWeight 20", "startedAt": "2024-05-01T10:00:00Z",
         "finishedAt": "2024-05-01T10:00:12Z", "result": "Succeeded"},
        {"index": 1, "description": "pause until approved", "startedAt": "2024-05-01T10:00:12Z"}
      ],
      "analysisRuns": [],
      "measurements": [
        {"analysis": "error-rate", "step": 0, "outcome": "Passed", "value": 0.004, "measuredAt": "2024-05-01T10:00:10Z",
         "message": "0.004 <= 0.01"}
      ],
      "policy": {"name": "default", "spec": {
        "steps": [{"setWeight": 20}, {"pause": {}}, {"setWeight": 100}],
        "analyses": [{"name": "error-rate", "provider": "prometheus", "count": 3, "failureLimit": 1,
                      "successCondition": {"max": 0.01}}]}}
    }
  })");
}

inline nlohmann::json deployment(const char* name, const char* image, const char* revision) {
  return {{"kind", "Deployment"},
          {"metadata", {{"name", name}, {"namespace", "shop"}, {"annotations", {{"autocanary.io/revision", revision}}}}},
          {"spec", {{"replicas", 2}, {"template", {{"spec", {{"containers", {{{"name", "app"}, {"image", image}}}}}}}}}}};
}

inline nlohmann::json replica_set(const char* name, const char* owner, int revision) {
  return {{"kind", "ReplicaSet"},
          {"metadata",
           {{"name", name},
            {"annotations", {{"deployment.kubernetes.io/revision", std::to_string(revision)}}},
            {"ownerReferences", {{{"kind", "Deployment"}, {"name", owner}}}}}}};
}

inline nlohmann::json pod(const char* name, const char* owner, bool ready, int restarts) {
  return {{"kind", "Pod"},
          {"metadata", {{"name", name}, {"ownerReferences", {{{"kind", "ReplicaSet"}, {"name", owner}}}}}},
          {"status",
           {{"phase", "Running"},
            {"conditions", {{{"type", "Ready"}, {"status", ready ? "True" : "False"}}}},
            {"containerStatuses", {{{"name", "app"}, {"restartCount", restarts}}}}}}};
}

inline CanarySources waiting_sources() {
  CanarySources sources;
  sources.canary = waiting_canary();
  sources.deployment = deployment("web", "shop/api:1.0.0", "bbbbbbbbbb");
  sources.canary_deployment = deployment("web-canary", "shop/api:2.0.0", "aaaaaaaaaa");
  sources.replica_sets = {replica_set("web-old", "web", 1), replica_set("web-new", "web", 2),
                          replica_set("web-canary-1", "web-canary", 1)};
  sources.pods = {pod("web-new-b", "web-new", true, 0), pod("web-new-a", "web-new", true, 2),
                  pod("web-old-x", "web-old", false, 0), pod("web-canary-1-c", "web-canary-1", true, 0)};
  return sources;
}

}  // namespace autocanary::cli::testing

// The rollout the routers' tests route: Deployment web (4 replicas) in shop,
// fronted by Service web (port 80), stable ReplicaSet hash 6d5f8b9c4.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "coordinator/traffic/traffic_router.h"
#include "tests/support/fixtures.h"

namespace autocanary::testing {

struct TargetFixture {
  nlohmann::json deployment = load_json("traffic/deployment.json");
  nlohmann::json service = load_json("traffic/service.json");
  nlohmann::json canary;  // null until a test gives the rollout one

  [[nodiscard]] traffic::RolloutTarget target(const std::string& api_version) const {
    traffic::RolloutTarget target;
    target.namespace_name = "shop";
    target.deployment = "web";
    target.stable = &deployment;
    target.canary = canary.is_null() ? nullptr : &canary;
    target.service_name = "web";
    target.service = &service;
    target.stable_pod_template_hash = "6d5f8b9c4";
    target.api_version = api_version;
    return target;
  }
};

}  // namespace autocanary::testing

// What a traffic router reports of a rollout's routing: plain data, so the
// planner reads it without depending on any router.
#pragma once

namespace autocanary::traffic {

struct TrafficView {
  int applied_weight = 0;  // the last weight it was asked for and has applied
  int actual_weight = 0;   // what it really routes (pod ratio is coarse)
  bool settled = false;    // the applied weight is in effect (e.g. canary pods Ready)
  bool routing_objects = false;  // objects the router made (or changed) are still there
};

}  // namespace autocanary::traffic

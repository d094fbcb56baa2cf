// Counts how often canary pods lose readiness (Ready → not Ready), which with the
// shim injected means the app itself stopped answering. Fed by the pod watch,
// read by reconcile passes; kept per canary revision, in memory (a restarted
// coordinator starts counting again, which only ever delays an abort).
#pragma once

#include <map>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

namespace autocanary::coordinator {

class ReadinessFlaps {
 public:
  // A canary pod changed from `before` to `after`.
  void observe(const nlohmann::json& before, const nlohmann::json& after);

  [[nodiscard]] int count(const std::string& namespace_name, const std::string& deployment,
                          const std::string& revision) const;

  [[nodiscard]] static bool is_ready(const nlohmann::json& pod);
  // Terminating, evicted or finished: losing readiness then is not a flap.
  [[nodiscard]] static bool is_leaving(const nlohmann::json& pod);

 private:
  mutable std::mutex mutex_;
  std::map<std::string, int> flaps_;  // "namespace/deployment/revision"
};

}  // namespace autocanary::coordinator

// The coordinator's runtime: informers turn changes of managed Deployments, their
// canary workloads and pods, and Canary resources into keys on a work queue;
// workers run reconcile passes for those keys, only while this replica leads.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <stop_token>
#include <vector>

#include "common/log.h"
#include "coordinator/readiness_flaps.h"
#include "coordinator/reconciler.h"
#include "coordinator/work_queue.h"
#include "kube/informer.h"
#include "kube/kube_client.h"

namespace autocanary::coordinator {

struct CoordinatorOptions {
  int workers = 2;
  // Every running rollout is reconciled again this often even without events
  // (a safety net), …
  std::chrono::seconds resync{300};
  // … and every managed Deployment, idle ones included, this often.
  std::chrono::seconds full_resync{3600};
};

class Coordinator {
 public:
  Coordinator(kube::KubeClient& client, Reconciler& reconciler, std::function<bool()> is_leader,
              ReadinessFlaps& flaps, CoordinatorOptions options, common::Logger& logger);

  // Runs informers and workers until `stop` is requested.
  void run(std::stop_token stop);

  // Queues every managed Deployment: on becoming leader, nothing seen while
  // following was acted on.
  void enqueue_all();
  // Queues the managed Deployments whose rollout runs (event_filter.h).
  void enqueue_active();

  [[nodiscard]] WorkQueue& queue() noexcept { return queue_; }

 private:
  void work(std::stop_token stop);
  void enqueue_owner(const nlohmann::json& object);
  [[nodiscard]] bool active(const std::string& key) const;

  kube::KubeClient& client_;
  Reconciler& reconciler_;
  std::function<bool()> is_leader_;
  CoordinatorOptions options_;
  common::Logger& logger_;
  WorkQueue queue_;
  std::vector<std::unique_ptr<kube::Informer>> informers_;
  kube::Informer* deployments_ = nullptr;
  kube::Informer* canary_workloads_ = nullptr;
  kube::Informer* records_ = nullptr;
};

}  // namespace autocanary::coordinator

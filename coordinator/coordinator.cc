#include "coordinator/coordinator.h"

#include <thread>

#include "common/json_fields.h"
#include "coordinator/event_filter.h"
#include "kube/resources.h"
#include "policy/names.h"
#include "policy/resources.h"

namespace autocanary::coordinator {

namespace {

using nlohmann::json;

std::string namespace_of(const json& object) {
  return object.value("/metadata/namespace"_json_pointer, std::string());
}

}  // namespace

Coordinator::Coordinator(kube::KubeClient& client, Reconciler& reconciler, std::function<bool()> is_leader,
                         ReadinessFlaps& flaps, CoordinatorOptions options, common::Logger& logger)
    : client_(client),
      reconciler_(reconciler),
      is_leader_(std::move(is_leader)),
      options_(options),
      logger_(logger) {
  auto key_of = [this](const json& object) { queue_.add(kube::object_key(object)); };
  // A pass only for what the planner reads (event_filter.h): an idle
  // Deployment's status updates and the coordinator's own status writes
  // cost no pass.
  kube::InformerHandlers managed_handlers{key_of,
                                          [this](const json& before, const json& now) {
                                            const std::string key = kube::object_key(now);
                                            if (deployment_change_matters(before, now) || active(key)) queue_.add(key);
                                          },
                                          key_of};
  kube::InformerHandlers record_handlers{key_of,
                                         [this](const json& before, const json& now) {
                                           if (record_change_matters(before, now)) queue_.add(kube::object_key(now));
                                         },
                                         key_of};
  kube::InformerHandlers owned{[this](const json& o) { enqueue_owner(o); },
                               [this](const json&, const json& now) { enqueue_owner(now); },
                               [this](const json& o) { enqueue_owner(o); }};

  // The caches only feed keys and labels to the queue (every pass reads the
  // cluster afresh), so they keep metadata only: a thousand Deployments cost
  // about a megabyte instead of tens.
  kube::InformerOptions managed;
  managed.list.label_selector = std::string(names::kManagedLabel) + "=true";
  managed.transform = project_managed_deployment();
  // Pages of 100: the first list holds at most one page parsed (~4 MB) beside
  // the projections, however many Deployments are managed.
  managed.list.page_size = 100;
  informers_.push_back(std::make_unique<kube::Informer>(
      client_, kube::deployments(), managed, managed_handlers, logger_));
  deployments_ = informers_.back().get();

  kube::InformerOptions canary_objects;
  canary_objects.list.label_selector = std::string(names::kTrackLabel) + "=canary";
  canary_objects.transform = kube::project_metadata();
  kube::InformerOptions canary_pod_objects = canary_objects;
  // Readiness flaps; a pod on its way out (drain, scale-down, eviction) is not one.
  canary_pod_objects.transform =
      kube::project_metadata({"/status/conditions", "/status/phase", "/metadata/deletionTimestamp"});
  informers_.push_back(std::make_unique<kube::Informer>(
      client_, kube::deployments(), canary_objects, owned, logger_));
  canary_workloads_ = informers_.back().get();
  kube::InformerHandlers canary_pods = owned;
  canary_pods.on_update = [this, &flaps](const json& before, const json& after) {
    flaps.observe(before, after);
    enqueue_owner(after);
  };
  informers_.push_back(std::make_unique<kube::Informer>(
      client_, kube::pods(), canary_pod_objects, canary_pods, logger_));
  // Test Jobs (labelled with the Deployment they test): a finished Job wakes
  // its rollout at once instead of at the next poll.
  kube::InformerOptions test_jobs;
  test_jobs.list.label_selector = std::string(names::kCanaryOfLabel);
  test_jobs.transform = kube::project_metadata();
  informers_.push_back(std::make_unique<kube::Informer>(
      client_, kube::jobs(), test_jobs, owned, logger_));
  kube::InformerOptions records;
  records.transform = project_canary_record();
  informers_.push_back(std::make_unique<kube::Informer>(
      client_, policy::canaries(), records, record_handlers, logger_));
  records_ = informers_.back().get();
}

bool Coordinator::active(const std::string& key) const {
  const auto slash = key.find('/');
  const std::string canary_key = key.substr(0, slash + 1) + names::canary_name(key.substr(slash + 1));
  const std::optional<json> deployment = deployments_->get(key);
  const std::optional<json> record = records_->get(key);
  return rollout_active(deployment ? &*deployment : nullptr, record ? &*record : nullptr,
                        canary_workloads_->get(canary_key).has_value());
}

void Coordinator::enqueue_active() {
  for (const std::string& key : deployments_->keys())
    if (active(key)) queue_.add(key);
}

void Coordinator::enqueue_owner(const json& object) {
  const std::string owner = common::label(object, names::kCanaryOfLabel);
  if (!owner.empty()) queue_.add(namespace_of(object) + "/" + owner);
}

void Coordinator::enqueue_all() {
  for (const std::string& key : deployments_->keys()) queue_.add(key);
}

void Coordinator::run(std::stop_token stop) {
  std::vector<std::jthread> threads;
  for (auto& informer : informers_)
    threads.emplace_back([&informer, stop] { informer->run(stop); });
  for (int i = 0; i < options_.workers; ++i) threads.emplace_back([this, stop] { work(stop); });

  auto next_resync = std::chrono::steady_clock::now() + options_.resync;
  auto next_full_resync = std::chrono::steady_clock::now() + options_.full_resync;
  std::mutex mutex;
  std::condition_variable_any wake;
  while (!stop.stop_requested()) {
    std::unique_lock lock(mutex);
    wake.wait_until(lock, stop, next_resync, [] { return false; });
    if (stop.stop_requested()) break;
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_full_resync) {
      enqueue_all();
      next_full_resync = now + options_.full_resync;
    } else {
      enqueue_active();
    }
    next_resync = now + options_.resync;
  }
  // jthreads join; informers and workers watch the same stop token.
}

void Coordinator::work(std::stop_token stop) {
  while (auto key = queue_.take(stop)) {
    if (!is_leader_()) {
      queue_.done(*key);  // a follower acts on nothing; enqueue_all() catches up
      continue;
    }
    const auto slash = key->find('/');
    const ReconcileResult result = reconciler_.reconcile(key->substr(0, slash), key->substr(slash + 1));
    queue_.done(*key);
    if (!result.ok) {
      queue_.add_with_backoff(*key);
      continue;
    }
    queue_.forget(*key);
    if (result.requeue_after) queue_.add_after(*key, *result.requeue_after);
  }
}

}  // namespace autocanary::coordinator

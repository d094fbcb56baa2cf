#include "coordinator/coordinator.h"

#include <thread>

#include "common/json_fields.h"
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
  kube::InformerHandlers own{key_of, [key_of](const json&, const json& now) { key_of(now); }, key_of};
  kube::InformerHandlers owned{[this](const json& o) { enqueue_owner(o); },
                               [this](const json&, const json& now) { enqueue_owner(now); },
                               [this](const json& o) { enqueue_owner(o); }};

  // The caches only feed keys and labels to the queue (every pass reads the
  // cluster afresh), so they keep metadata only: a thousand Deployments cost
  // about a megabyte instead of tens.
  kube::InformerOptions managed;
  managed.list.label_selector = std::string(names::kManagedLabel) + "=true";
  managed.transform = kube::project_metadata();
  informers_.push_back(std::make_unique<kube::Informer>(
      client_, kube::deployments(), managed, own, logger_));
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
  records.transform = kube::project_metadata();
  informers_.push_back(std::make_unique<kube::Informer>(
      client_, policy::canaries(), records, own, logger_));
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
  std::mutex mutex;
  std::condition_variable_any wake;
  while (!stop.stop_requested()) {
    std::unique_lock lock(mutex);
    wake.wait_until(lock, stop, next_resync, [] { return false; });
    if (stop.stop_requested()) break;
    enqueue_all();
    next_resync = std::chrono::steady_clock::now() + options_.resync;
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

#include "coordinator/reconciler.h"

#include <algorithm>

#include "common/json_fields.h"
#include "common/json_patch.h"
#include "coordinator/canary_workload.h"
#include "coordinator/traffic/apex_service.h"
#include "kube/resources.h"
#include "policy/names.h"
#include "policy/policy_parser.h"
#include "policy/resources.h"

namespace autocanary::coordinator {

namespace {

using nlohmann::json;

using kube::deployments;
using kube::events;
using kube::pods;
using kube::replicasets;
using kube::services;
using policy::canaries;

// An object, or null when it does not exist; other errors are returned.
kube::Result<json> get_optional(kube::KubeClient& client, const kube::ResourceRef& ref) {
  auto object = client.get(ref);
  if (!object && object.error().is_not_found()) return json();
  return object;
}

json owner_reference(const json& deployment) {
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"name", deployment["metadata"]["name"]},
          {"uid", deployment["metadata"]["uid"]}};
}

std::string annotation_path(std::string_view key) {
  return "/metadata/annotations/" + common::escape_pointer_token(key);
}

// The Deployment condition `kubectl wait --for=condition=Canary` waits on.
json canary_condition(const CanaryStatus& status, const std::string& now) {
  const bool succeeded = status.phase == Phase::kSucceeded;
  return {{"type", "Canary"},
          {"status", succeeded ? "True" : "False"},
          {"reason", std::string(to_string(status.phase))},
          {"message", status.message},
          {"lastUpdateTime", now},
          {"lastTransitionTime", now}};
}

}  // namespace

struct Reconciler::Pass {
  std::string ns;
  std::string name;
  json deployment;
  json canary;  // null when absent
  json record;  // null when absent
  CanaryStatus stored_status;
  bool aborting = false;
  std::chrono::steady_clock::time_point started;
  traffic::TrafficRouter* router = nullptr;
  TrafficRouting routing;
  // What a mesh router's writes need, read by read_split_service(): the user's
  // Service it splits (null when none or gone) and the stable ReplicaSet's hash.
  bool split_service_read = false;
  json service;
  std::optional<std::string> stable_pod_template_hash;
  policy::CanaryReplicas canary_replicas = policy::CanaryReplicas::kWeight;
  // Measurements finished since the last pass, taken from the executor; given
  // back if the pass ends before a status write recorded them.
  std::vector<analysis::MeasurementRecord> measurements;
  bool status_written = false;
  // Lists the router read in this pass (traffic::PassReads).
  mutable traffic::PassReads reads;

  traffic::RolloutTarget target() const {
    return {ns,
            name,
            &deployment,
            canary.is_null() ? nullptr : &canary,
            routing.service,
            service.is_null() ? nullptr : &service,
            stable_pod_template_hash,
            routing.api_version,
            canary_replicas,
            &reads};
  }
  std::string key() const { return ns + "/" + name; }
};

Reconciler::Reconciler(kube::KubeClient& client, traffic::Routers& routers,
                       analysis::ProviderFactory& providers, analysis::MeasurementExecutor& measurements,
                       PolicyFor policy_for, Clock clock,
                       common::Logger& logger, CoordinatorMetrics& metrics, const ReadinessFlaps* flaps,
                       PolicySeal seal, policy::ServedNamespaces served, std::function<bool()> may_act)
    : client_(client),
      routers_(routers),
      providers_(providers),
      measurements_(measurements),
      policy_for_(std::move(policy_for)),
      clock_(std::move(clock)),
      logger_(logger),
      metrics_(metrics),
      flaps_(flaps),
      seal_(std::move(seal)),
      served_(std::move(served)),
      may_act_(std::move(may_act)) {}

ReconcileResult Reconciler::reconcile(const std::string& namespace_name, const std::string& name) {
  Pass pass;
  pass.ns = namespace_name;
  pass.name = name;
  pass.started = std::chrono::steady_clock::now();
  auto finish = [&](bool ok, std::optional<std::chrono::milliseconds> requeue, const std::string& error) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - pass.started).count();
    metrics_.reconciles.inc(ok ? "success" : "error");
    metrics_.reconcile_seconds.observe(seconds);
    // One line a pass at debug level: which Deployments the watches' events
    // (event_filter.h) and the timers actually cost a pass.
    if (logger_.enabled(common::LogLevel::kDebug))
      logger_.debug("reconcile pass", {{"deployment", pass.key()}, {"ok", ok}, {"seconds", seconds}});
    if (!ok) logger_.warn("reconcile failed", {{"deployment", pass.key()}, {"error", error}});
    if (!pass.status_written) measurements_.give_back(pass.key(), std::move(pass.measurements));
    return ReconcileResult{ok, requeue};
  };

  auto deployment = get_optional(client_, deployments(namespace_name, name));
  if (!deployment) return finish(false, std::nullopt, deployment.error().describe());
  // Gone: the garbage collector removes what we owned with it; a Service of
  // the user's that a mesh rollout narrowed is put back.
  if (deployment->is_null()) {
    (void)measurements_.take(pass.key());  // finished after the Deployment went: nobody reads them
    auto restored = traffic::restore_apexes_of(client_, namespace_name, name);
    return finish(static_cast<bool>(restored), std::nullopt, restored ? "" : restored.error().describe());
  }
  pass.deployment = std::move(*deployment);

  if (auto why = served_.why_not(namespace_name)) {
    if (may_act_() && first_report_of_unserved(pass.key())) {
      logger_.warn("Deployment outside the served namespaces ignored", {{"deployment", pass.key()}, {"reason", *why}});
      (void)record_event(pass, RecordEvent{true, "NamespaceNotServed",
                                           "autocanary ignores this Deployment: " + *why});
    }
    return finish(true, std::nullopt, "");
  }
  forget_report_of_unserved(pass.key());

  auto canary = get_optional(client_, deployments(namespace_name, names::canary_name(name)));
  if (!canary) return finish(false, std::nullopt, canary.error().describe());
  pass.canary = std::move(*canary);
  auto record = get_optional(client_, canaries(namespace_name, name));
  if (!record) return finish(false, std::nullopt, record.error().describe());
  pass.record = std::move(*record);

  std::vector<json> canary_pods;
  if (!pass.canary.is_null()) {
    kube::ListOptions options;
    options.label_selector = canary_pod_selector(name);
    auto listed = client_.list(pods(namespace_name), options);
    if (!listed) return finish(false, std::nullopt, listed.error().describe());
    canary_pods = std::move(listed->items);
  }

  Observed observed = observe(pass.deployment, pass.canary, canary_pods, pass.record);
  if (observed.canary.name_taken) {
    pass.canary = json();  // a user's Deployment: no router or action may touch it
    canary_pods.clear();
  }
  if (flaps_ != nullptr && observed.canary.exists)
    observed.canary.readiness_flaps = flaps_->count(namespace_name, name, observed.canary.revision);
  pass.stored_status = observed.status;

  // A running rollout keeps the policy it started with; a new one takes today's.
  policy::ResolvedPolicy resolved = policy_for_(pass.deployment);
  // Sealed for the revision a rollout starting now would run: only a record
  // this coordinator made is followed later.
  json spec = policy::policy_to_json(resolved.policy);
  const std::string seal = seal_.seal(namespace_name, name, observed.pending_revision.value_or(""), spec);
  observed.policy_record = {
      {"name", resolved.policy_name}, {"spec", std::move(spec)}, {"sources", resolved.sources}, {"seal", seal}};
  observed.policy_warnings = resolved.warnings;
  policy::CanaryPolicy policy = std::move(resolved.policy);
  const CanaryStatus& running = observed.status;
  if (observed.record_exists && observed.pending_revision == running.revision && !is_terminal(running.phase) &&
      running.phase != Phase::kAborting && !running.policy.is_null()) {
    const json* recorded_spec = common::child(&running.policy, "spec");
    const std::string recorded_seal = common::string_field(&running.policy, "seal");
    if (recorded_spec == nullptr ||
        !seal_.verify(namespace_name, name, running.revision, *recorded_spec, recorded_seal)) {
      observed.policy_record_rejected =
          "the policy recorded in the Canary's status was not written by the coordinator (its seal does not "
          "match); following the policy in force";
      logger_.warn("unsealed policy record ignored", {{"deployment", pass.key()}});
    } else if (auto recorded = policy::parse_policy(*recorded_spec);
               auto* kept = std::get_if<policy::CanaryPolicy>(&recorded)) {
      policy = std::move(*kept);
    } else {
      logger_.warn("the policy recorded in the Canary is unusable; following the current one",
                   {{"deployment", pass.key()}});
    }
  }
  if (auto routed = route(pass, observed, policy); !routed) return finish(false, std::nullopt, routed.error().describe());
  auto traffic = pass.router->observe(pass.target());
  if (!traffic) return finish(false, std::nullopt, traffic.error().describe());
  observed.traffic = *traffic;
  if (!pass.canary.is_null())
    observed.canary_replicas_wanted = pass.router->canary_replicas(pass.target(), observed.status.canary_weight);
  // Measuring may create a test Job: only while this replica still leads.
  if (!may_act_()) return finish(true, std::nullopt, "");
  measure(pass, observed, policy, canary_pods);

  const Plan plan = plan_rollout(observed, policy, clock_());
  pass.aborting = std::any_of(plan.actions.begin(), plan.actions.end(),
                              [](const Action& a) { return std::holds_alternative<MarkFailed>(a); });
  for (const Action& action : plan.actions) {
    if (!may_act_()) return finish(true, std::nullopt, "");  // no longer the leader
    auto done = execute(pass, action);
    if (!done) return finish(false, std::nullopt, done.error().describe());
  }
  pass.measurements.clear();  // planned with: tallied into the status, or stale
  if (auto followed = follow_stable(pass, observed); !followed)
    return finish(false, std::nullopt, followed.error().describe());
  return finish(true, plan.requeue_after, "");
}

bool Reconciler::first_report_of_unserved(const std::string& key) {
  const std::lock_guard lock(reported_mutex_);
  return reported_unserved_.insert(key).second;
}

void Reconciler::forget_report_of_unserved(const std::string& key) {
  const std::lock_guard lock(reported_mutex_);
  reported_unserved_.erase(key);
}

void Reconciler::measure(Pass& pass, Observed& observed, const policy::CanaryPolicy& policy,
                         const std::vector<json>& canary_pods) {
  // Finished since the last pass; a rollout no longer measuring drops them.
  pass.measurements = measurements_.take(pass.key());
  const CanaryStatus& status = observed.status;
  // Only a running step of the pending revision measures; a paused, promoting
  // or finished rollout takes nothing.
  const bool running = observed.record_exists && observed.pending_revision && !observed.canary.name_taken &&
                       status.revision == *observed.pending_revision && observed.failed_revision != status.revision &&
                       !observed.requests.paused &&
                       (status.phase == Phase::kProgressing || status.phase == Phase::kWaitingForApproval);
  if (!running) {
    pass.measurements.clear();
    return;
  }
  analysis::AnalysisContext context{pass.ns,
                                    pass.name,
                                    common::metadata_string(pass.deployment, "uid"),
                                    names::canary_name(pass.name),
                                    status.revision,
                                    status.stable_revision,
                                    "",
                                    status.current_step,
                                    status.step_started_at,
                                    "",
                                    pass.routing.service};
  for (const json& pod : canary_pods) {
    context.pod_template_hash = common::label(pod, names::kPodTemplateHashLabel);
    if (!context.pod_template_hash.empty()) break;
  }

  const common::SystemTime now = clock_();
  for (const StepCheck& check : step_checks(policy, status.current_step)) {
    const auto criteria = criteria_of(policy, check);
    if (!criteria) continue;  // the planner fails the step
    // A result taken in this pass is not in the stored tally yet: the planner
    // tallies it now, and the schedule moves on from it.
    if (std::any_of(pass.measurements.begin(), pass.measurements.end(), [&](const analysis::MeasurementRecord& r) {
          return r.analysis == check.name && r.revision == status.revision && r.step == status.current_step;
        }))
      continue;
    const analysis::AnalysisRun* run = nullptr;
    for (const auto& candidate : status.analysis_runs)
      if (candidate.analysis == check.name && candidate.step == status.current_step) run = &candidate;
    if (!analysis::measurement_due(*criteria, run, now)) continue;
    // A concluded run takes no more measurements.
    if (run != nullptr && analysis::verdict(*criteria, *run, now).state != analysis::RunVerdict::State::kPending)
      continue;

    std::unique_ptr<analysis::AnalysisProvider> provider;
    if (check.test) {
      for (const auto& test : policy.tests)
        if (test.name == check.name) provider = providers_.test(test);
    } else {
      for (const auto& definition : policy.analyses)
        if (definition.name == check.name) provider = providers_.analysis(definition);
    }
    if (!provider) continue;
    context.analysis = check.name;
    // Started, or already under way: either way its result wakes the rollout.
    (void)measurements_.start({{pass.key(), check.name, status.revision, status.current_step},
                               *criteria,
                               context,
                               std::move(provider)});
  }
  // What finished meanwhile (at once, with an executor that measures inline).
  for (auto& record : measurements_.take(pass.key())) pass.measurements.push_back(std::move(record));
  observed.measurements = pass.measurements;
  for (const analysis::MeasurementKey& key : measurements_.under_way(pass.key()))
    if (key.revision == status.revision && key.step == status.current_step) observed.measuring.push_back(key.analysis);
}

kube::Result<void> Reconciler::execute(Pass& pass, const Action& action) {
  if (const auto* set = std::get_if<SetWeight>(&action)) {
    if (auto read = read_split_service(pass); !read) return read;
    auto routed = pass.router->set_weight(pass.target(), set->weight);
    if (routed && set->weight == 0 && pass.aborting) {
      metrics_.abort_to_zero_seconds.observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - pass.started).count());
    }
    if (routed) logger_.info("canary weight set", {{"deployment", pass.key()}, {"weight", set->weight}});
    return routed;
  }
  if (const auto* ensure = std::get_if<EnsureCanaryWorkload>(&action)) return ensure_canary(pass, *ensure);
  if (std::holds_alternative<DeleteCanaryWorkload>(action)) {
    // In the foreground: the Deployment stays until its pods are gone, which is
    // what the planner waits for before it gives the user's routing back.
    kube::DeleteOptions foreground;
    foreground.propagation = kube::PropagationPolicy::kForeground;
    auto removed = client_.remove(deployments(pass.ns, names::canary_name(pass.name)), foreground);
    if (!removed && !removed.error().is_not_found()) return std::move(removed).error();
    pass.canary = json();
    logger_.info("canary workload deleted", {{"deployment", pass.key()}});
    return {};
  }
  if (std::holds_alternative<RemoveRouting>(action)) {
    if (auto read = read_split_service(pass); !read) return read;  // the apex to restore
    auto removed = pass.router->cleanup(pass.target());
    if (removed) logger_.info("routing removed", {{"deployment", pass.key()}, {"router", pass.routing.router}});
    return removed;
  }
  if (const auto* promote_action = std::get_if<PromoteDeployment>(&action)) {
    // The stable workload is about to roll: "stable" must mean every pod of the
    // Deployment until it has, or its share would drain with the old ReplicaSet.
    if (auto read = read_split_service(pass); !read) return read;
    if (!pass.service.is_null()) {
      pass.stable_pod_template_hash.reset();
      if (auto widened = pass.router->ensure(pass.target()); !widened) return widened;
    }
    return promote(pass, promote_action->revision);
  }
  if (const auto* mark = std::get_if<MarkFailed>(&action))
    return annotate(pass, std::string(names::kFailedRevisionAnnotation), mark->revision);
  if (std::holds_alternative<ClearFailedMark>(action))
    return annotate(pass, std::string(names::kFailedRevisionAnnotation), nullptr);
  if (std::holds_alternative<AcknowledgeRetry>(action))
    return annotate(pass, std::string(names::kRetryAnnotation), nullptr);
  if (const auto* write = std::get_if<WriteStatus>(&action)) return write_status(pass, write->status);
  return record_event(pass, std::get<RecordEvent>(action));
}

kube::Result<void> Reconciler::route(Pass& pass, Observed& observed, const policy::CanaryPolicy& policy) {
  const CanaryStatus& status = observed.status;
  pass.canary_replicas = policy.canary_replicas;
  const bool starting = observed.pending_revision && observed.failed_revision != observed.pending_revision &&
                        (!observed.record_exists || status.routing.router.empty() || is_terminal(status.phase));
  if (starting) {
    traffic::RoutingApis apis;
    std::string service;
    if (policy.traffic_backend != policy::TrafficBackend::kPodRatio) {
      auto discovered = routers_.discover();
      if (!discovered) return std::move(discovered).error();
      apis = std::move(*discovered);
      auto listed = client_.list(services(pass.ns), {});
      if (!listed) return std::move(listed).error();
      if (const json* found = traffic::find_service(pass.deployment, listed->items))
        service = common::metadata_string(*found, "name");
    }
    std::string user_route;
    if (!apis.gateway_api.empty() && !service.empty()) {
      auto found = routers_.user_gateway_route(apis.gateway_api, pass.ns, service);
      if (!found) return std::move(found).error();
      user_route = std::move(*found);
    }
    const traffic::RoutingChoice choice =
        traffic::choose_routing(policy.traffic_backend, apis, pass.name, service, user_route);
    const bool mesh = choice.backend != policy::TrafficBackend::kPodRatio;
    observed.routing = {choice.router, choice.api_version, mesh ? service : "", choice.reason};
    observed.routing_warning = choice.warning;
  } else if (!status.routing.router.empty()) {
    observed.routing = status.routing;
  } else {
    observed.routing = {std::string(policy::to_string(policy::TrafficBackend::kPodRatio)), "", "", ""};
  }
  pass.routing = observed.routing;
  pass.router = &routers_.for_router(pass.routing.router);
  return {};
}

kube::Result<void> Reconciler::follow_stable(Pass& pass, const Observed& observed) {
  const Phase phase = observed.status.phase;
  const bool running = phase == Phase::kProgressing || phase == Phase::kWaitingForApproval || phase == Phase::kPaused;
  if (pass.aborting || pass.routing.service.empty() || !observed.pending_revision || !running || !may_act_())
    return {};
  // The stable workload may roll during a mesh rollout (a restart rolled as the
  // policy asks, a change with autocanary.io/skip): the apex and `<svc>-stable`
  // must follow its ReplicaSet — every pod while it rolls, the new one after —
  // or they would select pods that are going away. Two reads a pass; a write
  // only when the selector is out of date.
  if (auto read = read_split_service(pass); !read) return read;
  if (pass.service.is_null() || !traffic::narrowed_apex(pass.service, pass.target())) return {};
  logger_.info("routing follows the stable ReplicaSet", {{"deployment", pass.key()}});
  return pass.router->ensure(pass.target());
}

kube::Result<void> Reconciler::read_split_service(Pass& pass) {
  if (pass.routing.service.empty() || pass.split_service_read) return {};
  // A mesh router splits the Service between the stable ReplicaSet and the
  // canary. Read only before a routing write: observing needs names alone, so
  // a pass with nothing to route costs no reads for it.
  auto service = get_optional(client_, services(pass.ns, pass.routing.service));
  if (!service) return std::move(service).error();
  pass.service = std::move(*service);
  kube::ListOptions options;
  options.label_selector = traffic::match_labels_selector(pass.deployment);
  auto replica_sets = client_.list(replicasets(pass.ns), options);
  if (!replica_sets) return std::move(replica_sets).error();
  pass.stable_pod_template_hash = traffic::stable_pod_template_hash(pass.deployment, replica_sets->items);
  pass.split_service_read = true;
  return {};
}

kube::Result<void> Reconciler::ensure_canary(Pass& pass, const EnsureCanaryWorkload& ensure) {
  const json& annotations = pass.deployment["metadata"]["annotations"];
  const auto pending = annotations.find(std::string(names::kPendingTemplateAnnotation));
  json pod_template = pending != annotations.end() && pending->is_string()
                          ? json::parse(pending->get<std::string>(), nullptr, false)
                          : json();
  if (!pod_template.is_object())
    return kube::KubeError{0, kube::kReasonInvalidRequest, "the pending template is not a JSON object", false};
  // Routing before pods: once they are Ready, a mesh's clients and everyone
  // else must reach them only at the weight the router gives.
  if (!pass.routing.service.empty()) {
    if (auto read = read_split_service(pass); !read) return read;
    if (auto routed = pass.router->ensure(pass.target()); !routed) return routed;
  }
  const int replicas = pass.router->canary_replicas(pass.target(), ensure.weight);
  const json desired = build_canary_deployment(pass.deployment, pod_template, ensure.revision, replicas,
                                               ensure.weight);
  const kube::ResourceRef ref = deployments(pass.ns, names::canary_name(pass.name));
  if (pass.canary.is_null()) {
    auto created = client_.create(deployments(pass.ns), desired);
    if (created) {
      pass.canary = std::move(*created);
      logger_.info("canary workload created",
                   {{"deployment", pass.key()}, {"revision", ensure.revision}, {"replicas", replicas}});
      return {};
    }
    if (!created.error().is_already_exists()) return std::move(created).error();
  }
  auto updated = kube::update_with_conflict_retry(client_, ref, [&](json& object) {
    const json before = object;
    for (const auto& [key, value] : desired["metadata"]["labels"].items()) object["metadata"]["labels"][key] = value;
    for (const auto& [key, value] : desired["metadata"]["annotations"].items())
      object["metadata"]["annotations"][key] = value;
    object["metadata"]["ownerReferences"] = desired["metadata"]["ownerReferences"];
    object["spec"]["template"] = desired["spec"]["template"];
    object["spec"]["replicas"] = desired["spec"]["replicas"];
    object["spec"]["minReadySeconds"] = desired["spec"]["minReadySeconds"];
    return object != before;
  });
  if (!updated) return std::move(updated).error();
  pass.canary = std::move(*updated);
  logger_.info("canary workload updated", {{"deployment", pass.key()}, {"revision", ensure.revision}});
  return {};
}

kube::Result<void> Reconciler::promote(Pass& pass, const std::string& revision) {
  const json& annotations = pass.deployment["metadata"]["annotations"];
  const auto pending = annotations.find(std::string(names::kPendingTemplateAnnotation));
  if (pending == annotations.end() || !pending->is_string())
    return kube::KubeError{0, kube::kReasonInvalidRequest, "no pending template to promote", false};
  json pod_template = json::parse(pending->get<std::string>(), nullptr, false);
  if (!pod_template.is_object())
    return kube::KubeError{0, kube::kReasonInvalidRequest, "the pending template is not a JSON object", false};
  // The test makes the patch fail if another revision became pending meanwhile.
  const json patch = json::array({
      {{"op", "test"}, {"path", annotation_path(names::kPendingRevisionAnnotation)}, {"value", revision}},
      {{"op", "replace"}, {"path", "/spec/template"}, {"value", std::move(pod_template)}},
      {{"op", "remove"}, {"path", annotation_path(names::kPendingRevisionAnnotation)}},
      {{"op", "remove"}, {"path", annotation_path(names::kPendingTemplateAnnotation)}},
  });
  auto patched = client_.patch(deployments(pass.ns, pass.name), patch, kube::PatchOptions{kube::PatchType::kJson, "", false});
  if (!patched) return std::move(patched).error();
  pass.deployment = std::move(*patched);
  logger_.info("deployment promoted", {{"deployment", pass.key()}, {"revision", revision}});
  return {};
}

kube::Result<void> Reconciler::annotate(Pass& pass, const std::string& key, const json& value) {
  const json patch = {{"metadata", {{"annotations", {{key, value}}}}}};
  auto patched = client_.patch(deployments(pass.ns, pass.name), patch, kube::PatchOptions{});
  if (!patched) return std::move(patched).error();
  pass.deployment = std::move(*patched);
  return {};
}

kube::Result<void> Reconciler::write_status(Pass& pass, const CanaryStatus& status) {
  if (pass.record.is_null()) {
    const json record = {
        {"apiVersion", "autocanary.io/v1alpha1"},
        {"kind", "Canary"},
        {"metadata",
         {{"name", pass.name},
          {"namespace", pass.ns},
          {"labels", {{std::string(names::kCanaryOfLabel), pass.name}}},
          {"ownerReferences", json::array({owner_reference(pass.deployment)})}}},
        {"spec", json::object()}};
    auto created = client_.create(canaries(pass.ns), record);
    if (!created && !created.error().is_already_exists()) return std::move(created).error();
    if (created) pass.record = std::move(*created);
  }
  auto updated = kube::update_with_conflict_retry(client_, canaries(pass.ns, pass.name).sub("status"),
                                                  [&](json& object) {
                                                    json wanted = to_json(status);
                                                    wanted["conditions"] = canary_conditions(
                                                        status, common::value_at(object, "/status/conditions"),
                                                        common::format_rfc3339(clock_()));
                                                    if (object.value("status", json()) == wanted) return false;
                                                    object["status"] = std::move(wanted);
                                                    return true;
                                                  });
  if (!updated) return std::move(updated).error();
  pass.record = std::move(*updated);
  pass.status_written = true;

  // Metrics for what this write finishes.
  const std::string now = common::format_rfc3339(clock_());
  if (is_terminal(status.phase) && status.phase != pass.stored_status.phase)
    metrics_.rollouts.inc(status.phase == Phase::kSucceeded   ? "succeeded"
                          : status.phase == Phase::kCancelled ? "cancelled"
                                                              : "failed");
  for (const auto& step : status.steps) {
    const bool newly_finished =
        !step.finished_at.empty() &&
        std::none_of(pass.stored_status.steps.begin(), pass.stored_status.steps.end(), [&](const StepRecord& old) {
          return old.index == step.index && old.started_at == step.started_at && !old.finished_at.empty();
        });
    const auto started = common::parse_rfc3339(step.started_at);
    const auto finished = common::parse_rfc3339(step.finished_at);
    if (newly_finished && started && finished)
      metrics_.step_seconds.observe(std::chrono::duration<double>(*finished - *started).count());
  }
  pass.stored_status = status;

  // Strategic merge keys conditions by type: Available and Progressing stay.
  const json condition_patch = {{"status", {{"conditions", json::array({canary_condition(status, now)})}}}};
  auto conditioned = client_.patch(deployments(pass.ns, pass.name).sub("status"), condition_patch,
                                   kube::PatchOptions{kube::PatchType::kStrategicMerge, "", false});
  if (!conditioned && !conditioned.error().is_not_found()) return std::move(conditioned).error();
  return {};
}

kube::Result<void> Reconciler::record_event(Pass& pass, const RecordEvent& event) {
  const std::string now = common::format_rfc3339(clock_());
  const json object = {
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata", {{"generateName", pass.name + "."}, {"namespace", pass.ns}}},
      {"involvedObject",
       {{"apiVersion", "apps/v1"},
        {"kind", "Deployment"},
        {"name", pass.name},
        {"namespace", pass.ns},
        {"uid", pass.deployment["metadata"]["uid"]}}},
      {"reason", event.reason},
      {"message", event.message},
      {"type", event.warning ? "Warning" : "Normal"},
      {"source", {{"component", "autocanary"}}},
      {"reportingComponent", "autocanary"},
      {"firstTimestamp", now},
      {"lastTimestamp", now},
      {"count", 1}};
  logger_.info("event", {{"deployment", pass.key()}, {"reason", event.reason}, {"message", event.message}});
  // Events are for people; losing one must not stop a rollout.
  if (auto created = client_.create(events(pass.ns), object); !created)
    logger_.warn("cannot record event", {{"deployment", pass.key()}, {"error", created.error().describe()}});
  return {};
}

}  // namespace autocanary::coordinator

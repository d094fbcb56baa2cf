// autocanary-coordinator: walks pending revisions of managed Deployments through
// their canary steps. Several replicas may run; a Lease elects the one that acts.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include <httplib.h>

#include "common/duration.h"
#include "common/shutdown_signals.h"
#include "common/yaml_json.h"
#include "coordinator/analysis/measurement_executor.h"
#include "coordinator/analysis/provider_factory.h"
#include "coordinator/coordinator.h"
#include "coordinator/leader_election.h"
#include "coordinator/leader_fenced_client.h"
#include "coordinator/measurement_report.h"
#include "coordinator/policy_seal.h"
#include "coordinator/traffic/routers.h"
#include "kube/http_kube_client.h"
#include "kube/kube_config.h"
#include "policy/policy_parser.h"
#include "policy/policy_store.h"

using namespace autocanary;

namespace {

struct Options {
  std::string kubeconfig;
  std::string lease_namespace = "autocanary-system";
  std::string lease_name = "autocanary-coordinator";
  std::string identity;
  std::string policy_file;
  std::string prometheus_address;
  std::string metrics_address = "0.0.0.0";
  int metrics_port = 8080;
  int workers = 2;
  int measurement_workers = 4;
  coordinator::LeaseTimings timings;
  common::LogLevel log_level = common::LogLevel::kInfo;
  std::string policy_seal_key_file;
};

const char* kUsage = R"(usage: autocanary-coordinator [flags]

  --kubeconfig FILE        API access (default: $KUBECONFIG, else the pod's service account)
  --namespace NAME         namespace of the leader-election Lease (default: $POD_NAMESPACE
                           or autocanary-system)
  --lease-name NAME        the Lease (default autocanary-coordinator)
  --identity ID            this replica in the Lease (default: hostname_pid)
  --policy-file FILE       use this canary policy (YAML) for every Deployment instead of the
                           cluster's ClusterCanaryPolicies
  --prometheus-address URL Prometheus for analyses whose policy names no address
  --policy-seal-key-file F the secret that seals the policy each rollout records (shared by the
                           replicas; the chart mounts it from a Secret). Without it a random key:
                           running rollouts then follow the policy in force after a restart
  --metrics-address ADDR   address of /metrics, /healthz, /readyz (default 0.0.0.0)
  --metrics-port N         their port, 0 to disable (default 8080)
  --workers N              Deployments reconciled at once (default 2)
  --measurement-workers N  analysis measurements (queries, gates) taken at once, apart from
                           the reconcile workers, so a slow one delays no pass (default 4)
  --lease-duration D       (default 15s)
  --renew-deadline D       (default 10s)
  --retry-period D         (default 2s)
  --missing-lease-wait D   how long a replica that does not lead waits for a missing Lease
                           to appear before creating it (default 0s; the chart, which
                           creates the Lease, sets 30s)
  --log-level LEVEL        debug, info, warn or error (default info)
)";

[[noreturn]] void fail(const std::string& message, int code = 2) {
  std::fprintf(stderr, "autocanary-coordinator: %s\n", message.c_str());
  std::exit(code);
}

std::chrono::milliseconds duration_flag(const std::string& flag, const std::string& value) {
  const auto parsed = common::parse_duration(value);
  if (!parsed || parsed->count() <= 0) fail("invalid value for " + flag + ": '" + value + "'");
  return std::chrono::duration_cast<std::chrono::milliseconds>(*parsed);
}

Options parse(int argc, char** argv) {
  Options options;
  if (const char* ns = std::getenv("POD_NAMESPACE")) options.lease_namespace = ns;
  char host[256] = "coordinator";
  gethostname(host, sizeof host - 1);
  options.identity = std::string(host) + "_" + std::to_string(getpid());
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "-h" || flag == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    std::string value;
    if (const auto equals = flag.find('='); equals != std::string::npos) {
      value = flag.substr(equals + 1);
      flag.resize(equals);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      fail(flag + " needs a value");
    }
    if (flag == "--kubeconfig") options.kubeconfig = value;
    else if (flag == "--namespace") options.lease_namespace = value;
    else if (flag == "--lease-name") options.lease_name = value;
    else if (flag == "--identity") options.identity = value;
    else if (flag == "--policy-file") options.policy_file = value;
    else if (flag == "--prometheus-address") options.prometheus_address = value;
    else if (flag == "--policy-seal-key-file") options.policy_seal_key_file = value;
    else if (flag == "--metrics-address") options.metrics_address = value;
    else if (flag == "--metrics-port") options.metrics_port = std::atoi(value.c_str());
    else if (flag == "--workers") options.workers = std::max(1, std::atoi(value.c_str()));
    else if (flag == "--measurement-workers") options.measurement_workers = std::max(1, std::atoi(value.c_str()));
    else if (flag == "--lease-duration") options.timings.lease_duration = duration_flag(flag, value);
    else if (flag == "--renew-deadline") options.timings.renew_deadline = duration_flag(flag, value);
    else if (flag == "--retry-period") options.timings.retry_period = duration_flag(flag, value);
    else if (flag == "--missing-lease-wait")
      options.timings.missing_lease_wait = duration_flag(flag, value);
    else if (flag == "--log-level") {
      if (!common::parse_log_level(value, options.log_level)) fail("invalid value for --log-level");
    } else {
      fail("unknown flag " + flag + "\n" + kUsage);
    }
  }
  return options;
}

coordinator::PolicySeal load_policy_seal(const std::string& path, common::Logger& logger) {
  if (path.empty()) {
    logger.warn("no --policy-seal-key-file: a random key seals recorded policies until this process ends");
    return coordinator::PolicySeal::random();
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) fail("cannot read " + path, 1);
  std::stringstream content;
  content << file.rdbuf();
  std::string key = content.str();
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
  if (key.size() < coordinator::PolicySeal::kMinKeyBytes)
    fail(path + " holds " + std::to_string(key.size()) + " bytes; the policy seal key needs at least " +
             std::to_string(coordinator::PolicySeal::kMinKeyBytes), 1);
  return coordinator::PolicySeal(std::move(key));
}

policy::CanaryPolicy load_policy(const std::string& path) {
  if (path.empty()) return policy::builtin_default_policy();
  std::ifstream file(path);
  if (!file) fail("cannot read " + path, 1);
  std::ostringstream text;
  text << file.rdbuf();
  auto document = common::yaml_to_json(text.str());
  if (auto* error = std::get_if<std::string>(&document)) fail(path + ": " + *error, 1);
  auto parsed = policy::parse_policy(std::get<nlohmann::json>(document));
  if (auto* problems = std::get_if<std::vector<std::string>>(&parsed)) {
    std::string message = path + " is not a valid policy:";
    for (const auto& problem : *problems) message += "\n  " + problem;
    fail(message, 1);
  }
  return std::get<policy::CanaryPolicy>(std::move(parsed));
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  const common::ShutdownSignals shutdown;  // before any thread starts

  common::Logger logger(options.log_level);
  const policy::CanaryPolicy policy = load_policy(options.policy_file);
  const nlohmann::json policy_json = policy::policy_to_json(policy);

  const auto env = [](const char* name) {
    const char* value = std::getenv(name);
    return std::string(value != nullptr ? value : "");
  };
  kube::InClusterEnvironment in_cluster;
  in_cluster.service_host = env("KUBERNETES_SERVICE_HOST");
  in_cluster.service_port = env("KUBERNETES_SERVICE_PORT");
  auto config = options.kubeconfig.empty() ? kube::load_default_config(std::getenv("KUBECONFIG"), in_cluster)
                                           : kube::load_kubeconfig_file(options.kubeconfig);
  if (auto* error = std::get_if<std::string>(&config)) fail("cannot load API access: " + *error, 1);
  kube::HttpKubeClientOptions client_options;
  client_options.user_agent = kube::default_user_agent("autocanary-coordinator");
  auto made = kube::HttpKubeClient::from_config(std::get<kube::KubeConfig>(std::move(config)), client_options,
                                                logger);
  if (auto* error = std::get_if<std::string>(&made)) fail(*error, 1);
  auto& client = *std::get<std::unique_ptr<kube::HttpKubeClient>>(made);

  common::MetricsRegistry metrics;
  metrics.add<common::GaugeFunc>("process_resident_memory_bytes", "Resident memory size in bytes.",
                                  &common::process_resident_bytes);
  coordinator::CoordinatorMetrics coordinator_metrics(metrics);
  std::unique_ptr<coordinator::LeaderElector> elector;
  const auto leading = [&elector] { return elector && elector->is_leader(); };
  // Everything that acts writes through the fence; the elector and the caches
  // use the client itself.
  coordinator::LeaderFencedClient acting(client, leading);
  traffic::Routers routers(acting);

  // Metric queries, HTTP gates and test Jobs, built per rollout from its policy.
  // One key seals the policy each rollout records and the test Jobs it creates.
  const coordinator::PolicySeal seal = load_policy_seal(options.policy_seal_key_file, logger);
  // Policies and opted-in namespaces, watched. With --policy-file the file is
  // the policy; the namespaces still decide where the coordinator acts.
  policy::PolicyStore policies(client, logger);
  const policy::ServedNamespaces served{[&policies](const std::string& name) { return policies.opted_in_namespace(name); },
                                        options.lease_namespace};
  analysis::DefaultProviderFactory providers(acting, options.prometheus_address,
                                             [&seal](std::string_view message) { return seal.mac(message); }, served);
  const auto policy_for = [&](const nlohmann::json& deployment) {
    if (!options.policy_file.empty()) {
      // The file stands for every ClusterCanaryPolicy; a Deployment's override
      // annotations still apply on top of it.
      policy::ResolvedPolicy resolved =
          policy::resolve_policy(deployment, nullptr, [&](const std::string&) { return policy_json; });
      resolved.policy_name = options.policy_file;
      for (auto& [field, source] : resolved.sources)
        if (source.starts_with("ClusterCanaryPolicy/")) source = "file " + options.policy_file;
      return resolved;
    }
    return policies.resolve(deployment);
  };
  coordinator::ReadinessFlaps flaps;
  // A finished measurement wakes its rollout through the work queue, once the
  // runtime that owns the queue exists (no measurement starts before it runs).
  std::atomic<coordinator::Coordinator*> wake{nullptr};
  analysis::MeasurementExecutor measurements(
      options.measurement_workers, [] { return std::chrono::system_clock::now(); },
      [&](const analysis::MeasurementKey& key, const analysis::MeasurementRecord& record,
          std::chrono::duration<double> took) {
        coordinator::report_measurement(coordinator_metrics, logger, key, record, took);
        if (coordinator::Coordinator* runtime = wake.load()) runtime->queue().add(key.rollout);
      });
  coordinator::Reconciler reconciler(acting, routers, providers, measurements, policy_for,
                                     [] { return std::chrono::system_clock::now(); }, logger, coordinator_metrics,
                                     &flaps, seal, served, leading);
  coordinator::Coordinator runtime(client, reconciler, leading, flaps,
                                   coordinator::CoordinatorOptions{options.workers, std::chrono::seconds(300)},
                                   logger);
  wake = &runtime;

  auto leader = coordinator::LeaderElector::make(
      client,
      coordinator::LeaderElectionConfig{options.lease_namespace, options.lease_name, options.identity,
                                        options.timings, true},
      coordinator::system_clock_reading,
      coordinator::LeaderCallbacks{[&] {
                                     logger.info("leading", {{"identity", options.identity}});
                                     runtime.enqueue_all();
                                   },
                                   [&] {
                                     // Writes are fenced already; cut off those under way too.
                                     client.abort_requests_in_flight();
                                     logger.info("stopped leading", {{"identity", options.identity}});
                                   }},
      logger);
  if (auto* error = std::get_if<std::string>(&leader)) fail(*error);
  elector = std::move(std::get<std::unique_ptr<coordinator::LeaderElector>>(leader));

  httplib::Server http;
  http.Get("/metrics", [&](const httplib::Request&, httplib::Response& response) {
    response.set_content(metrics.render(), "text/plain; version=0.0.4");
  });
  http.Get("/healthz", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("ok\n", "text/plain");
  });
  std::thread http_thread;
  if (options.metrics_port > 0) {
    if (!http.bind_to_port(options.metrics_address, options.metrics_port))
      fail("cannot listen on " + options.metrics_address + ":" + std::to_string(options.metrics_port), 1);
    http_thread = std::thread([&] { http.listen_after_bind(); });
  }

  std::stop_source stop;
  std::jthread signal_waiter([&] {
    logger.info("stopping", {{"signal", shutdown.wait()}});
    stop.request_stop();
  });
  std::jthread election([&] { elector->run(stop.get_token()); });
  std::jthread policy_watch([&] { policies.run(stop.get_token()); });
  // Until the namespaces are listed, none would look opted in.
  while (!policies.has_synced() && !stop.stop_requested()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  logger.info("coordinator started", {{"identity", options.identity},
                                      {"lease", options.lease_namespace + "/" + options.lease_name},
                                      {"steps", policy.steps.size()}});
  runtime.run(stop.get_token());
  measurements.stop();  // before the runtime its results wake goes
  election.join();
  policy_watch.join();
  http.stop();
  if (http_thread.joinable()) http_thread.join();
  signal_waiter.detach();
  logger.info("stopped");
  return 0;
}

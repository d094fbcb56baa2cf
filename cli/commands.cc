#include "cli/commands.h"

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cli/canary_view.h"
#include "cli/outcome.h"
#include "cli/steering.h"
#include "common/json_fields.h"
#include "common/rfc3339.h"
#include "kube/resources.h"
#include "policy/names.h"
#include "policy/namespace_scope.h"
#include "policy/resources.h"

namespace autocanary::cli {

namespace {

using nlohmann::json;
using Steady = std::chrono::steady_clock;

constexpr const char* kCanaryResource = "canaries.autocanary.io";

void print(std::FILE* stream, const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stream);
  std::fflush(stream);
}

std::string resource_name(const kube::ResourceRef& ref) {
  return ref.group.empty() ? ref.resource : ref.resource + "." + ref.group;
}

// One line (or a few) for an API error: a refusal says which permission is missing.
std::string explain(const kube::KubeError& error, const std::string& action, const kube::ResourceRef& ref) {
  if (error.http_status == 403) return forbidden_message(action, resource_name(ref), ref.namespace_name, error.message);
  if (error.is_not_found() && ref.resource == "canaries" && !ref.name.empty())
    return "no canary " + ref.name + " in namespace " + ref.namespace_name +
           " (a canary exists once a managed Deployment got a new pod template)";
  return action + " " + resource_name(ref) + (ref.name.empty() ? "" : " " + ref.name) + ": " + error.describe();
}

// Why a namespace is not served (a label typo, or opted out): a line for a
// "no canaries" answer or a warning. Nothing when it is served, or when the
// user may not read namespaces.
std::string opt_in_note(kube::KubeClient& client, const std::string& ns) {
  auto got = client.get(kube::namespaces(ns));
  if (!got) return "";
  const auto hint = policy::opt_in_hint(*got);
  return hint ? *hint + "\n" : "";
}

// An optional object: null when not found; an error otherwise.
kube::Result<json> get_optional(kube::KubeClient& client, const kube::ResourceRef& ref) {
  auto got = client.get(ref);
  if (got) return std::move(got).value();
  if (got.error().is_not_found()) return json();
  return std::move(got).error();
}

struct ReadError {
  std::string message;
};

// Everything `get` shows; nullopt and a message when something could not be read.
std::variant<CanarySources, ReadError> read_sources(kube::KubeClient& client, const std::string& ns,
                                                    const std::string& name) {
  CanarySources sources;
  const auto canary_ref = policy::canaries(ns, name);
  auto canary = client.get(canary_ref);
  if (!canary) return ReadError{explain(canary.error(), "get", canary_ref)};
  sources.canary = std::move(canary).value();
  for (auto [ref, slot] : {std::pair{kube::deployments(ns, name), &sources.deployment},
                           std::pair{kube::deployments(ns, names::canary_name(name)), &sources.canary_deployment}}) {
    auto got = get_optional(client, ref);
    if (!got) return ReadError{explain(got.error(), "get", ref)};
    *slot = std::move(got).value();
  }
  for (auto [ref, slot] : {std::pair{kube::replicasets(ns), &sources.replica_sets}, std::pair{kube::pods(ns), &sources.pods}}) {
    auto listed = client.list(ref, {});
    if (!listed) return ReadError{explain(listed.error(), "list", ref)};
    *slot = std::move(listed->items);
  }
  // The routing objects of a mesh router: TrafficSplit, HTTPRoute or VirtualService.
  const std::string router = common::string_at(sources.canary, "/status/routing/router");
  const std::string api_version = common::string_at(sources.canary, "/status/routing/apiVersion");
  const auto slash = api_version.find('/');
  if (router != "podRatio" && !router.empty() && slash != std::string::npos) {
    const std::string resource = router == "smi" ? "trafficsplits" : router == "gatewayAPI" ? "httproutes" : "virtualservices";
    const kube::ResourceRef ref{api_version.substr(0, slash), api_version.substr(slash + 1), resource, ns, "", ""};
    kube::ListOptions options;
    // A user's VirtualService that the canary reweights is not ours to label.
    if (router != "istio") options.label_selector = std::string(names::kRoutingForLabel) + "=" + name;
    auto listed = client.list(ref, options);
    if (listed) {
      for (auto& item : listed->items) {
        if (!item.contains("kind")) item["kind"] = router == "smi" ? "TrafficSplit" : router == "gatewayAPI" ? "HTTPRoute" : "VirtualService";
        sources.routing_objects.push_back(std::move(item));
      }
    }
  }
  return sources;
}

// Wakes a waiting command when any watched collection changes.
class ChangeSignal {
 public:
  void notify() {
    {
      const std::lock_guard lock(mutex_);
      changed_ = true;
    }
    cv_.notify_all();
  }
  // True when a change came before `deadline`; clears it.
  bool wait_until(Steady::time_point deadline) {
    std::unique_lock lock(mutex_);
    const bool changed = cv_.wait_until(lock, deadline, [this] { return changed_; });
    changed_ = false;
    return changed;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool changed_ = false;
};

// Watches collections on threads of its own (list, then watch from the list's
// version, again after an error or the watch's end) and signals every event.
class Watches {
 public:
  Watches(kube::KubeClient& client, ChangeSignal& signal) : client_(client), signal_(signal) {}
  ~Watches() {
    for (auto& thread : threads_) thread.request_stop();
  }

  void add(kube::ResourceRef collection, std::string field_selector = {}) {
    threads_.emplace_back([this, collection = std::move(collection), field_selector](std::stop_token stop) {
      while (!stop.stop_requested()) {
        kube::ListOptions list_options;
        list_options.field_selector = field_selector;
        auto listed = client_.list(collection, list_options);
        if (!listed) {
          sleep(stop);
          continue;
        }
        signal_.notify();
        kube::WatchOptions options;
        options.field_selector = field_selector;
        options.resource_version = listed->resource_version;
        options.timeout = std::chrono::seconds(240);
        auto watched = client_.watch(
            collection, options,
            [this](kube::WatchEvent&& event) {
              if (event.type != kube::WatchEventType::kBookmark) signal_.notify();
              return true;
            },
            stop);
        if (!watched) sleep(stop);
      }
    });
  }

 private:
  static void sleep(const std::stop_token& stop) {
    std::mutex mutex;
    std::condition_variable_any cv;
    std::unique_lock lock(mutex);
    cv.wait_for(lock, stop, std::chrono::seconds(1), [] { return false; });
  }

  kube::KubeClient& client_;
  ChangeSignal& signal_;
  std::vector<std::jthread> threads_;
};

Steady::time_point deadline_after(const std::optional<std::chrono::nanoseconds>& timeout) {
  if (!timeout || timeout->count() == 0) return Steady::now() + std::chrono::hours(24 * 365 * 10);
  return Steady::now() + std::chrono::duration_cast<Steady::duration>(*timeout);
}

std::string name_selector(const std::string& name) { return "metadata.name=" + name; }

std::string formatted(const json& object, const std::string& output) {
  return output == "yaml" ? to_yaml(object) : object.dump(2) + "\n";
}

int cmd_list(const Options& options, const std::string& ns, kube::KubeClient& client, const Terminal& terminal) {
  const auto ref = policy::canaries(options.all_namespaces ? "" : ns);
  auto listed = client.list(ref, {});
  if (!listed) {
    print(terminal.err, explain(listed.error(), "list", ref) + "\n");
    return 1;
  }
  auto items = std::move(listed->items);
  std::sort(items.begin(), items.end(), [](const json& a, const json& b) {
    return std::pair(common::metadata_string(a, "namespace"), common::metadata_string(a, "name")) <
           std::pair(common::metadata_string(b, "namespace"), common::metadata_string(b, "name"));
  });
  if (!options.output.empty()) {
    print(terminal.out, formatted({{"apiVersion", "v1"}, {"kind", "List"}, {"items", items}}, options.output));
    return 0;
  }
  if (items.empty()) {
    if (options.all_namespaces) print(terminal.err, "No canaries found.\n");
    else print(terminal.err, "No canaries found in namespace " + ns + ".\n" + opt_in_note(client, ns));
    return 0;
  }
  std::vector<ListRow> rows;
  const auto now = Clock::now();
  for (const auto& item : items) rows.push_back(list_row(item, now));
  print(terminal.out, render_table(rows, options.all_namespaces));
  return 0;
}

int cmd_get(const Options& options, const std::string& ns, kube::KubeClient& client, const Terminal& terminal) {
  const std::string& name = options.args.front();
  if (!options.output.empty()) {
    const auto ref = policy::canaries(ns, name);
    auto canary = client.get(ref);
    if (!canary) {
      print(terminal.err, explain(canary.error(), "get", ref) + "\n");
      return 1;
    }
    print(terminal.out, formatted(*canary, options.output));
    return 0;
  }
  auto draw = [&]() -> std::variant<std::string, ReadError> {
    auto sources = read_sources(client, ns, name);
    if (auto* error = std::get_if<ReadError>(&sources)) return *error;
    return render_tree(build_view(std::get<CanarySources>(sources), Clock::now()), terminal.style);
  };
  auto first = draw();
  if (auto* error = std::get_if<ReadError>(&first)) {
    print(terminal.err, error->message + "\n");
    return 1;
  }
  if (!options.watch) {
    print(terminal.out, std::get<std::string>(first));
    return 0;
  }
  // Redrawn on watch events only: the Canary, the Deployments, their ReplicaSets and pods.
  ChangeSignal signal;
  Watches watches(client, signal);
  watches.add(policy::canaries(ns), name_selector(name));
  watches.add(kube::deployments(ns));
  watches.add(kube::replicasets(ns));
  watches.add(kube::pods(ns));
  std::string shown;
  auto show = [&](const std::string& text) {
    if (text == shown) return;
    shown = text;
    if (terminal.style.terminal)
      print(terminal.out, "\033[H\033[2J" + text);
    else
      print(terminal.out, text + "\n");
  };
  show(std::get<std::string>(first));
  const auto deadline = deadline_after(options.timeout);
  while (Steady::now() < deadline) {
    if (!signal.wait_until(deadline)) break;
    // Events come in bursts (a status write, then the pods): one redraw for each burst.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto next = draw();
    if (auto* error = std::get_if<ReadError>(&next)) {
      show(error->message + "\n");
      continue;
    }
    show(std::get<std::string>(next));
  }
  return 0;
}

std::string new_token(const json& canary, Verb verb) {
  std::string token = common::format_rfc3339_millis(Clock::now());
  const std::string key = std::string(to_string(verb));
  if (common::string_at(canary, "/spec/" + key) == token) token += "-1";
  return token;
}

int cmd_steer(Verb verb, const Options& options, const std::string& ns, kube::KubeClient& client,
              const Terminal& terminal) {
  const std::string& name = options.args.front();
  const auto ref = policy::canaries(ns, name);
  auto canary = client.get(ref);
  if (!canary) {
    print(terminal.err, explain(canary.error(), "get", ref) + "\n");
    return 1;
  }
  const std::string token = new_token(*canary, verb);
  const SteerPlan plan = plan_steer(verb, *canary, token);
  const std::string label = "canary " + ns + "/" + name;
  if (plan.refused) {
    print(terminal.err, label + ": refused: " + plan.will + "\n");
    return 1;
  }
  if (plan.nothing_to_do) {
    print(terminal.out, label + ": " + plan.will + "\n");
    return 0;
  }
  print(terminal.out, label + ": will " + plan.will + "\n");
  kube::PatchOptions patch_options;
  patch_options.type = kube::PatchType::kMerge;
  patch_options.field_manager = "kubectl-autocanary";
  auto patched = client.patch(ref, plan.patch, patch_options);
  if (!patched) {
    print(terminal.err, explain(patched.error(), "patch", ref) + "\n");
    return 1;
  }
  print(terminal.out, label + ": requested (spec " + plan.patch["spec"].dump() + ")\n");
  // What happened: the coordinator records the request it handled in the status.
  ChangeSignal signal;
  Watches watches(client, signal);
  watches.add(policy::canaries(ns), name_selector(name));
  const auto deadline = deadline_after(options.timeout.value_or(std::chrono::seconds(30)));
  json latest = *patched;
  while (!request_handled(verb, latest, token)) {
    if (!signal.wait_until(deadline)) {
      print(terminal.err, label + ": the coordinator has not acted on the request within " +
                              (options.timeout_text.empty() ? std::string("30s") : options.timeout_text) +
                              " (is it running?); it stays requested. Now " + describe_state(latest) + "\n");
      return 1;
    }
    if (auto again = client.get(ref)) latest = std::move(again).value();
  }
  print(terminal.out, label + ": done; now " + describe_state(latest) + "\n");
  return 0;
}

int cmd_status(const Options& options, const std::string& ns, kube::KubeClient& client, const Terminal& terminal) {
  const std::string& name = options.args.front();
  ChangeSignal signal;
  Watches watches(client, signal);
  watches.add(policy::canaries(ns), name_selector(name));
  watches.add(kube::deployments(ns), name_selector(name));
  const auto deadline = deadline_after(options.timeout);
  json canary;
  std::string last_reported;
  while (true) {
    const auto canary_ref = policy::canaries(ns, name);
    auto got = get_optional(client, canary_ref);
    if (!got) {
      print(terminal.err, explain(got.error(), "get", canary_ref) + "\n");
      return 1;
    }
    canary = std::move(got).value();
    const auto deployment_ref = kube::deployments(ns, name);
    auto deployment = get_optional(client, deployment_ref);
    if (!deployment) {
      print(terminal.err, explain(deployment.error(), "get", deployment_ref) + "\n");
      return 1;
    }
    if (!deployment->is_object() && !canary.is_object()) {
      print(terminal.err, "no Deployment and no canary " + name + " in namespace " + ns + "\n");
      return 1;
    }
    const Outcome outcome = judge(canary, *deployment);
    if (outcome.finished) {
      print(outcome.exit_code == kExitPromoted ? terminal.out : terminal.err,
            outcome.verdict + ": " + outcome.reason + "\n");
      return outcome.exit_code;
    }
    if (outcome.reason != last_reported) {
      print(terminal.out, outcome.verdict + ": " + outcome.reason + "\n");
      last_reported = outcome.reason;
    }
    if (!signal.wait_until(deadline)) {
      const Outcome late = timed_out(canary, options.timeout_text);
      print(terminal.err, late.verdict + ": " + late.reason + "\n");
      return late.exit_code;
    }
  }
}

}  // namespace

int run_command(const Options& options, const std::string& ns, kube::KubeClient& client, const Terminal& terminal) {
  if (options.command == "list") return cmd_list(options, ns, client, terminal);
  // A canary where autocanary does not act (the label mistyped, or the
  // namespace opted out mid-canary) will not move, whatever is asked: first say so.
  if (const std::string note = opt_in_note(client, ns); !note.empty()) print(terminal.err, "Warning: " + note);
  if (options.command == "get") return cmd_get(options, ns, client, terminal);
  if (options.command == "status") return cmd_status(options, ns, client, terminal);
  if (const auto verb = verb_from_string(options.command)) return cmd_steer(*verb, options, ns, client, terminal);
  print(terminal.err, "unknown command " + options.command + "\n");
  return 1;
}

}  // namespace autocanary::cli

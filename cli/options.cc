#include "cli/options.h"

#include <algorithm>
#include <string_view>

#include "common/duration.h"
#include "common/nearest_word.h"

namespace autocanary::cli {

namespace {

constexpr std::string_view kCommands[] = {"list",   "get",    "promote", "abort", "retry",
                                          "pause",  "resume", "status",  "help",  "version"};

// "--name=value" or "--name value" (or "-n value", "-nvalue" for short flags).
bool take_value(const std::vector<std::string>& argv, std::size_t& i, const std::string& long_name,
                const std::string& short_name, std::string& value, std::string& error) {
  const std::string& arg = argv[i];
  if (arg == long_name || (!short_name.empty() && arg == short_name)) {
    if (i + 1 >= argv.size()) {
      error = arg + " needs a value";
      return true;
    }
    value = argv[++i];
    return true;
  }
  if (arg.rfind(long_name + "=", 0) == 0) {
    value = arg.substr(long_name.size() + 1);
    return true;
  }
  if (!short_name.empty() && arg.size() > short_name.size() && arg.rfind(short_name, 0) == 0 &&
      arg.rfind("--", 0) != 0) {
    value = arg.substr(short_name.size());
    if (!value.empty() && value.front() == '=') value.erase(0, 1);
    return true;
  }
  return false;
}

}  // namespace

std::variant<Options, std::string> parse_options(const std::vector<std::string>& argv) {
  Options options;
  std::string error;
  std::string timeout;
  bool timeout_set = false;
  std::string group;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg == "-A" || arg == "--all-namespaces") {
      options.all_namespaces = true;
    } else if (arg == "-w" || arg == "--watch") {
      options.watch = true;
    } else if (arg == "-h" || arg == "--help") {
      options.command = "help";
    } else if (take_value(argv, i, "--kubeconfig", "", options.kubeconfig, error) ||
               take_value(argv, i, "--context", "", options.context, error) ||
               take_value(argv, i, "--as", "", options.as_user, error) ||
               take_value(argv, i, "--namespace", "-n", options.namespace_name, error) ||
               take_value(argv, i, "--output", "-o", options.output, error)) {
      if (!error.empty()) return error;
    } else if (take_value(argv, i, "--as-group", "", group, error)) {
      if (!error.empty()) return error;
      options.as_groups.push_back(group);
    } else if (take_value(argv, i, "--timeout", "", timeout, error)) {
      if (!error.empty()) return error;
      timeout_set = true;
    } else if (!arg.empty() && arg.front() == '-' && arg != "-") {
      return "unknown flag " + arg;
    } else if (options.command.empty()) {
      options.command = arg;
    } else if (options.command != "help") {
      options.args.push_back(arg);
    }
  }
  if (options.command.empty()) options.command = "help";
  if (std::ranges::find(kCommands, options.command) == std::end(kCommands)) {
    std::string unknown = "unknown command \"" + options.command + "\"";
    if (const auto nearest = common::nearest_word(options.command, kCommands, 2))
      unknown += "; did you mean \"" + std::string(*nearest) + "\"?";
    return unknown;
  }
  if (!options.output.empty() && options.output != "json" && options.output != "yaml")
    return "-o takes json or yaml, not " + options.output;
  if (timeout_set) {
    const auto parsed = common::parse_duration(timeout);
    if (!parsed || parsed->count() < 0) return "--timeout takes a duration such as 30s, 5m or 1h, not " + timeout;
    options.timeout = *parsed;
    options.timeout_text = timeout;
  }
  const bool named = options.command != "list" && options.command != "help" && options.command != "version";
  if (named && options.args.size() != 1) return options.command + " takes one canary name";
  if (!named && !options.args.empty()) return options.command + " takes no name";
  if (options.watch && options.command != "get") return "--watch goes with get";
  if (options.all_namespaces && options.command != "list") return "-A goes with list";
  if (!options.as_groups.empty() && options.as_user.empty()) return "--as-group needs --as (the user to act as)";
  return options;
}

std::string usage() {
  return R"(kubectl autocanary: see and steer autocanary's canaries.

  kubectl autocanary list [-A]                  every canary: phase, step, weights, router, revision, age
  kubectl autocanary get NAME [--watch] [-o json|yaml]
                                                the canary as a tree: workloads, pods, routing, steps, analyses
  kubectl autocanary promote NAME               approve the waiting pause, or skip the remaining steps and promote
  kubectl autocanary abort NAME                 abort at once: traffic back to stable, the revision marked failed
  kubectl autocanary retry NAME                 retry a failed revision from its first step
  kubectl autocanary pause NAME                 hold the canary where it is
  kubectl autocanary resume NAME                let it go on
  kubectl autocanary status NAME [--timeout D]  wait for the end: exit 0 promoted, 1 aborted, failed or cancelled,
                                                2 timed out

Flags as kubectl has them: --kubeconfig FILE, --context NAME, -n/--namespace NS, -A/--all-namespaces,
--as USER, --as-group GROUP.
promote, abort, retry, pause and resume wait --timeout (default 30s) for the coordinator to act.
)";
}

}  // namespace autocanary::cli

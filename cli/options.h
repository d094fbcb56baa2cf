// The plugin's command line, parsed purely: kubectl's global flags as kubectl
// spells them (--kubeconfig, --context, -n/--namespace, -A/--all-namespaces,
// --as, --as-group) and the subcommands' own.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace autocanary::cli {

struct Options {
  std::string command;            // list, get, promote, abort, retry, pause, resume, status, help, version
  std::vector<std::string> args;  // positional arguments after the command
  std::string kubeconfig;         // empty: $KUBECONFIG, then ~/.kube/config
  std::string context;
  std::string as_user;                 // --as: impersonate this user
  std::vector<std::string> as_groups;  // --as-group (repeatable), with --as
  std::string namespace_name;  // empty: the context's
  bool all_namespaces = false;
  std::string output;  // "", json, yaml
  bool watch = false;
  std::optional<std::chrono::nanoseconds> timeout;  // status: how long to wait; steering: for the coordinator
  std::string timeout_text;
};

// argv without the program name. An error is a one-line message.
[[nodiscard]] std::variant<Options, std::string> parse_options(const std::vector<std::string>& argv);

[[nodiscard]] std::string usage();

}  // namespace autocanary::cli

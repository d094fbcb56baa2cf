// kubectl-autocanary: kubectl finds it on PATH and runs it as `kubectl autocanary`.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "cli/commands.h"
#include "cli/options.h"
#include "common/log.h"
#include "kube/http_kube_client.h"
#include "kube/kube_config.h"

namespace {

using namespace autocanary;

std::string kubeconfig_paths(const cli::Options& options) {
  if (!options.kubeconfig.empty()) return options.kubeconfig;
  if (const char* env = std::getenv("KUBECONFIG"); env != nullptr && *env != '\0') return env;
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : "") + "/.kube/config";
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = cli::parse_options(args);
  if (auto* error = std::get_if<std::string>(&parsed)) {
    std::fprintf(stderr, "kubectl autocanary: %s\n\n%s", error->c_str(), cli::usage().c_str());
    return 1;
  }
  const cli::Options& options = std::get<cli::Options>(parsed);
  if (options.command == "help") {
    std::fputs(cli::usage().c_str(), stdout);
    return 0;
  }
  if (options.command == "version") {
    std::printf("kubectl-autocanary %s\n", AUTOCANARY_VERSION);
    return 0;
  }
  auto config = kube::load_kubeconfig_file(kubeconfig_paths(options), options.context);
  if (auto* error = std::get_if<std::string>(&config)) {
    std::fprintf(stderr, "kubectl autocanary: kubeconfig: %s\n", error->c_str());
    return 1;
  }
  auto& kube_config = std::get<kube::KubeConfig>(config);
  const std::string ns = options.namespace_name.empty() ? kube_config.namespace_name : options.namespace_name;
  common::Logger logger(common::LogLevel::kError);
  kube::HttpKubeClientOptions client_options;
  client_options.user_agent = std::string("kubectl-autocanary/") + AUTOCANARY_VERSION;
  client_options.impersonate_user = options.as_user;
  client_options.impersonate_groups = options.as_groups;
  client_options.field_manager = "kubectl-autocanary";
  auto client = kube::HttpKubeClient::from_config(std::move(kube_config), client_options, logger);
  if (auto* error = std::get_if<std::string>(&client)) {
    std::fprintf(stderr, "kubectl autocanary: %s\n", error->c_str());
    return 1;
  }
  cli::Terminal terminal;
  terminal.style.terminal = ::isatty(STDOUT_FILENO) == 1 && std::getenv("NO_COLOR") == nullptr;
  return cli::run_command(options, ns, *std::get<std::unique_ptr<kube::HttpKubeClient>>(client), terminal);
}

// For the cluster tests (GoogleTest binaries run against a real apiserver by
// tests/e2e): the cluster from KUBECONFIG, clients to it, a name for this run.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <variant>

#include <gtest/gtest.h>

#include "kube/http_kube_client.h"
#include "kube/kube_config.h"

namespace autocanary::testing {

// The cluster KUBECONFIG names, or why there is none; `runner` is the e2e test
// that starts a cluster and runs this binary.
inline std::variant<kube::KubeConfig, std::string> test_cluster_config(const std::string& runner) {
  const char* kubeconfig = std::getenv("KUBECONFIG");
  if (kubeconfig == nullptr || *kubeconfig == '\0')
    return "KUBECONFIG is not set. This test needs a running cluster: start one with tests/cluster/up.sh and "
           "source its env file, or run " + runner + ".";
  return kube::load_kubeconfig_file(kubeconfig);
}

// A client to the cluster; null (and the test failed) when the configuration is unusable.
inline std::unique_ptr<kube::HttpKubeClient> test_cluster_client(const kube::KubeConfig& config,
                                                                 const kube::HttpKubeClientOptions& options,
                                                                 common::Logger& logger) {
  auto built = kube::HttpKubeClient::from_config(config, options, logger);
  if (auto* error = std::get_if<std::string>(&built)) {
    ADD_FAILURE() << *error;
    return nullptr;
  }
  return std::move(std::get<std::unique_ptr<kube::HttpKubeClient>>(built));
}

// Distinguishes this run's objects from an earlier or parallel run's: "<pid>-<ms>".
inline std::string test_run_suffix() {
  using namespace std::chrono;
  const auto now = system_clock::now().time_since_epoch();
  return std::to_string(::getpid()) + "-" + std::to_string(duration_cast<milliseconds>(now).count() % 100000);
}

}  // namespace autocanary::testing

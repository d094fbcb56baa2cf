// Where the apiserver is and how to authenticate to it: from a kubeconfig file
// (its current context) or from inside a pod (service host variables and the
// mounted service-account token). Files named in a kubeconfig are read here,
// except a token file, which the client re-reads because bound tokens rotate.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace autocanary::kube {

struct KubeConfig {
  std::string server;  // "https://host:port", optionally followed by a path prefix
  std::string certificate_authority_pem;  // empty: the system's trusted authorities
  bool insecure_skip_tls_verify = false;
  std::string client_certificate_pem;  // leaf first, then any intermediates
  std::string client_key_pem;
  std::string token;       // a fixed bearer token
  std::string token_file;  // a bearer token read again from time to time
  std::string namespace_name = "default";  // of the context, or the pod's own
};

struct ServerAddress {
  bool tls = true;
  std::string host;  // without IPv6 brackets
  int port = 443;
  std::string base_path;  // "" or "/prefix" without a trailing slash
};

// "https://10.0.0.1:6443", "http://localhost:8080", "https://[::1]:6443/k8s".
[[nodiscard]] std::variant<ServerAddress, std::string> parse_server_url(std::string_view url);

// `yaml` is a kubeconfig; relative file names are resolved against `base_dir`.
// `context` picks a context; empty means current-context.
[[nodiscard]] std::variant<KubeConfig, std::string> parse_kubeconfig(
    std::string_view yaml, const std::string& base_dir, const std::string& context = {});

// A kubeconfig file. KUBECONFIG may hold several paths separated by ':'; they are
// not merged: the first one that exists is used.
[[nodiscard]] std::variant<KubeConfig, std::string> load_kubeconfig_file(
    const std::string& path_list, const std::string& context = {});

struct InClusterEnvironment {
  std::string service_host;  // $KUBERNETES_SERVICE_HOST
  std::string service_port;  // $KUBERNETES_SERVICE_PORT
  std::string service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
};

// The configuration of a pod's service account (token, ca.crt, namespace).
[[nodiscard]] std::variant<KubeConfig, std::string> load_in_cluster_config(
    const InClusterEnvironment& environment);

// $KUBECONFIG when it is set, else the in-cluster configuration. The caller reads
// the environment, so the library has no hidden inputs.
[[nodiscard]] std::variant<KubeConfig, std::string> load_default_config(
    const char* kubeconfig_env, const InClusterEnvironment& environment);

// Standard base64 (padding optional, whitespace ignored), as kubeconfig *-data fields
// hold; nothing when the text is not base64.
[[nodiscard]] std::optional<std::string> decode_base64(std::string_view text);

}  // namespace autocanary::kube

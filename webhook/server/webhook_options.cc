#include "webhook/server/webhook_options.h"

#include <charconv>
#include <filesystem>
#include <functional>
#include <map>

#include "certs/certificate_info.h"
#include "common/duration.h"
#include "webhook/review/admission_review.h"

namespace autocanary::server {

namespace {

bool parse_number(const std::string& text, long long& value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size();
}

template <typename Duration>
bool parse_positive_duration(const std::string& text, Duration& out, bool allow_zero) {
  const auto parsed = common::parse_duration(text);
  if (!parsed || parsed->count() < 0 || (!allow_zero && parsed->count() == 0)) return false;
  out = std::chrono::duration_cast<Duration>(*parsed);
  return true;
}

}  // namespace

std::string webhook_usage() {
  return R"(usage: autocanary-webhook --tls-cert-file FILE --tls-key-file FILE [flags]

  --bind-address ADDR        address to listen on (default 0.0.0.0)
  --port N                   HTTPS port, 0 for any free port (default 8443)
  --tls-cert-file FILE       serving certificate (PEM, leaf first); reloaded when it changes
  --tls-key-file FILE        its private key (PEM)
  --cert-secret NAME         self-managed certificates: keep a CA and the serving certificate in
                             this Secret of --namespace, renew them before they expire and write
                             the pair to --tls-cert-file/--tls-key-file
  --webhook-configuration N  self-managed: the MutatingWebhookConfiguration whose caBundle to keep
  --cert-dns NAME            self-managed: a DNS name of the serving certificate (repeatable)
  --cert-ip ADDRESS          self-managed: an IP address of the serving certificate (repeatable)
  --ca-validity D            self-managed: lifetime of a new CA (default 8760h)
  --cert-validity D          self-managed: lifetime of a serving certificate (default 2160h); each
                             is renewed when a third of its lifetime is left
  --cert-check-period D      self-managed: how often the Secret is checked (default 1m)
  --ca-trust-delay D         self-managed: after a new CA enters the caBundle, wait this long for
                             the apiserver to see it before serving its certificate (default 10s)
  --kubeconfig FILE          API access to read canary policies (default: $KUBECONFIG, else the
                             pod's service account; without any, the built-in policy applies)
  --shim-image IMAGE         image of the readiness shim injected into canaries (without it,
                             nothing is injected)
  --shim-port N              the shim's port in the pod, moved up on collision (default 17021)
  --namespace NAME           the namespace autocanary runs in, never mutated
                             (default: $POD_NAMESPACE)
  --coordinator-username U   requests of this user pass through untouched (repeatable)
  --protected-namespace NAME another namespace never to mutate (repeatable); kube-system,
                             kube-public and kube-node-lease always are
  --threads N                worker threads, one per open connection (default 128)
  --keep-alive-timeout D     idle keep-alive connection lifetime; keep it above the
                             apiserver's own (90s), which then closes first (default 120s)
  --max-body-bytes N         largest AdmissionReview accepted (default 4194304)
  --review-memory-budget N   bytes all reviews in flight may hold at once; a review beyond
                             it waits up to 1s, then gets 429 (default 67108864)
  --drain-delay D            after SIGTERM, keep serving this long with /readyz failing (default 5s)
  --log-level LEVEL          debug, info, warn or error (default info)
)";
}

std::variant<WebhookOptions, std::string> parse_webhook_options(
    const std::vector<std::string>& arguments, const char* pod_namespace_env) {
  WebhookOptions options;
  if (pod_namespace_env != nullptr) options.scope.own_namespace = pod_namespace_env;

  using Setter = std::function<bool(const std::string&)>;
  const std::map<std::string, Setter> flags = {
      {"--bind-address", [&](const std::string& v) { options.server.bind_address = v; return !v.empty(); }},
      {"--port", [&](const std::string& v) {
         long long port = 0;
         if (!parse_number(v, port) || port < 0 || port > 65535) return false;
         options.server.port = static_cast<int>(port);
         return true;
       }},
      {"--tls-cert-file", [&](const std::string& v) { options.cert_file = v; return !v.empty(); }},
      {"--tls-key-file", [&](const std::string& v) { options.key_file = v; return !v.empty(); }},
      {"--namespace", [&](const std::string& v) { options.scope.own_namespace = v; return !v.empty(); }},
      {"--kubeconfig", [&](const std::string& v) { options.kubeconfig = v; return !v.empty(); }},
      {"--shim-image", [&](const std::string& v) { options.scope.shim.image = v; return !v.empty(); }},
      {"--shim-port", [&](const std::string& v) {
         long long port = 0;
         if (!parse_number(v, port) || port < 1 || port > 65535) return false;
         options.scope.shim.port = static_cast<int>(port);
         return true;
       }},
      {"--coordinator-username", [&](const std::string& v) {
         options.scope.coordinator_usernames.push_back(v);
         return !v.empty();
       }},
      {"--protected-namespace", [&](const std::string& v) {
         options.scope.extra_protected_namespaces.push_back(v);
         return !v.empty();
       }},
      {"--threads", [&](const std::string& v) {
         long long threads = 0;
         if (!parse_number(v, threads) || threads < 1 || threads > 1024) return false;
         options.server.threads = static_cast<std::size_t>(threads);
         return true;
       }},
      {"--keep-alive-timeout", [&](const std::string& v) {
         return parse_positive_duration(v, options.server.keep_alive_timeout, false);
       }},
      {"--max-body-bytes", [&](const std::string& v) {
         long long bytes = 0;
         if (!parse_number(v, bytes) || bytes < 1024) return false;
         options.server.max_body_bytes = static_cast<std::size_t>(bytes);
         return true;
       }},
      {"--review-memory-budget", [&](const std::string& v) {
         long long bytes = 0;
         if (!parse_number(v, bytes) || bytes < 1) return false;
         options.server.review_memory_budget = static_cast<std::size_t>(bytes);
         return true;
       }},
      {"--drain-delay", [&](const std::string& v) {
         return parse_positive_duration(v, options.drain_delay, true);
       }},
      {"--log-level", [&](const std::string& v) { return common::parse_log_level(v, options.log_level); }},
      {"--cert-secret", [&](const std::string& v) {
         options.self_managed_certificates = true;
         options.certificates.secret_name = v;
         return !v.empty();
       }},
      {"--webhook-configuration", [&](const std::string& v) {
         options.certificates.webhook_configuration = v;
         return !v.empty();
       }},
      {"--cert-dns", [&](const std::string& v) {
         options.certificates.request.names.dns_names.push_back(v);
         return !v.empty();
       }},
      {"--cert-ip", [&](const std::string& v) {
         options.certificates.request.names.ip_addresses.push_back(v);
         return !certs::canonical_ip(v).empty();
       }},
      {"--ca-validity", [&](const std::string& v) {
         return parse_positive_duration(v, options.certificates.request.lifetimes.authority, false);
       }},
      {"--cert-validity", [&](const std::string& v) {
         return parse_positive_duration(v, options.certificates.request.lifetimes.serving, false);
       }},
      {"--cert-check-period", [&](const std::string& v) {
         return parse_positive_duration(v, options.certificates.check_period, false);
       }},
      {"--ca-trust-delay", [&](const std::string& v) {
         return parse_positive_duration(v, options.certificates.trust_delay, true);
       }},
  };

  for (std::size_t i = 0; i < arguments.size(); ++i) {
    std::string flag = arguments[i];
    if (flag == "-h" || flag == "--help") return webhook_usage();
    std::string value;
    if (const auto equals = flag.find('='); equals != std::string::npos) {
      value = flag.substr(equals + 1);
      flag.resize(equals);
    } else if (i + 1 < arguments.size()) {
      value = arguments[++i];
    } else {
      return flag + " needs a value\n" + webhook_usage();
    }
    const auto setter = flags.find(flag);
    if (setter == flags.end()) return "unknown flag " + flag + "\n" + webhook_usage();
    if (!setter->second(value)) return "invalid value for " + flag + ": '" + value + "'";
  }
  if (options.cert_file.empty() || options.key_file.empty())
    return "--tls-cert-file and --tls-key-file are required\n" + webhook_usage();
  if (const auto largest = api::review_memory_bound(options.server.max_body_bytes);
      largest > options.server.review_memory_budget)
    return "--review-memory-budget must hold the largest review: " + std::to_string(largest) +
           " bytes for --max-body-bytes " + std::to_string(options.server.max_body_bytes);
  if (options.self_managed_certificates) {
    auto& certificates = options.certificates;
    if (options.scope.own_namespace.empty()) return std::string("--cert-secret needs --namespace");
    if (certificates.request.names.dns_names.empty() && certificates.request.names.ip_addresses.empty())
      return std::string("--cert-secret needs at least one --cert-dns or --cert-ip");
    if (certificates.request.lifetimes.serving.count() < 1 ||
        certificates.request.lifetimes.authority <= certificates.request.lifetimes.serving)
      return std::string("--ca-validity must be longer than --cert-validity (at least 1s)");
    if (std::filesystem::path(options.cert_file).parent_path() != std::filesystem::path(options.key_file).parent_path())
      return std::string("--cert-secret writes --tls-cert-file and --tls-key-file together: use one directory");
    certificates.namespace_name = options.scope.own_namespace;
    certificates.cert_file = options.cert_file;
    certificates.key_file = options.key_file;
  }
  return options;
}

}  // namespace autocanary::server

// What the shim probes: the app's TCP port or HTTP(S) path, with Kubernetes probe
// timing. Parsed from untrusted text (flags, environment variables written by the
// webhook from the app container's own readinessProbe) into values or a message.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace autocanary::shim {

// How often and how patiently one probe runs, and how many results in a row
// change its state (as a Kubernetes probe's periodSeconds, timeoutSeconds, …).
struct ProbeTiming {
  std::chrono::milliseconds period{1'000};
  std::chrono::milliseconds timeout{1'000};
  std::chrono::milliseconds initial_delay{0};
  int success_threshold = 1;
  int failure_threshold = 3;

  friend bool operator==(const ProbeTiming&, const ProbeTiming&) = default;
};

enum class ProbeKind { kTcp, kHttp, kHttps };

struct HttpHeader {
  std::string name;
  std::string value;

  friend bool operator==(const HttpHeader&, const HttpHeader&) = default;
};

struct ProbeSpec {
  ProbeKind kind = ProbeKind::kTcp;
  std::string host;  // an IP address literal
  int port = 0;
  std::string path = "/";  // HTTP(S) only; starts with '/'
  std::vector<HttpHeader> headers;
  ProbeTiming timing;

  // "tcp:8080", "http:8080/healthz", "https:8443/ready": the probe's label in
  // metrics, logs and reasons.
  [[nodiscard]] std::string name() const;
};

// Reads an environment variable; std::nullopt when unset. Injected so tests
// need no process environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// What a probe text leaves unsaid: the timing and host every probe starts from,
// and where named ports are looked up.
struct ProbeDefaults {
  ProbeTiming timing;
  std::string host = "127.0.0.1";
  EnvLookup env;
};

// A named port ("http") is read from this variable, upper-cased with '-' → '_'.
[[nodiscard]] std::string named_port_variable(std::string_view port_name);

// One probe: "tcp:PORT", "http:PORT[/path]", "https:PORT[/path]", or a JSON
// Kubernetes probe ({"httpGet": {...}} or {"tcpSocket": {...}} plus timing fields).
[[nodiscard]] std::variant<ProbeSpec, std::string> parse_probe(std::string_view text,
                                                               const ProbeDefaults& defaults);

// Several probes, as AUTOCANARY_SHIM_PROBES holds them: a JSON array whose
// elements are probe texts or probe objects, one JSON probe object, or short
// forms separated by white space.
[[nodiscard]] std::variant<std::vector<ProbeSpec>, std::string> parse_probe_list(
    std::string_view text, const ProbeDefaults& defaults);

}  // namespace autocanary::shim

#include "shim/shim_options.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <set>

#include "common/duration.h"

namespace autocanary::shim {

namespace {

using std::chrono::milliseconds;

constexpr auto kLongest = std::chrono::hours(24);

bool parse_number(const std::string& text, long long minimum, long long maximum, int& out) {
  long long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return false;
  if (value < minimum || value > maximum) return false;
  out = static_cast<int>(value);
  return true;
}

bool parse_millis(const std::string& text, milliseconds minimum, milliseconds& out) {
  const auto parsed = common::parse_duration(text);
  if (!parsed || *parsed < minimum || *parsed > kLongest) return false;
  out = std::chrono::duration_cast<milliseconds>(*parsed);
  return true;
}

bool is_ip_literal(const std::string& text) {
  in6_addr address{};
  return inet_pton(AF_INET, text.c_str(), &address) == 1 || inet_pton(AF_INET6, text.c_str(), &address) == 1;
}

struct Option {
  const char* flag;
  const char* variable;
  std::function<bool(const std::string&)> set;
};

}  // namespace

std::string shim_usage() {
  return R"(usage: autocanary-shim --probe PROBE [flags]

Probes the app beside it and answers the pod's readinessProbe on GET /ready.
Every flag can be set by the environment variable after it; a flag wins.

  --probe PROBE              what to probe (repeatable)                 AUTOCANARY_SHIM_PROBES
                               tcp:PORT            connects
                               http:PORT/PATH      GET; 200-399 passes
                               https:PORT/PATH     the same over TLS, certificate not verified
                                                   (autocanary-shim-tls only)
                               {"httpGet": {...}}  a Kubernetes probe as JSON: httpGet (port,
                               {"tcpSocket": ...}  path, scheme, host, httpHeaders) or tcpSocket,
                                                   with timeoutSeconds, periodSeconds,
                                                   successThreshold, failureThreshold,
                                                   initialDelaySeconds
                             the variable holds a JSON array of those, or short forms
                             separated by spaces; a named port NAME is read from
                             AUTOCANARY_SHIM_NAMED_PORT_NAME (upper case, '-' as '_')
  --port N                   port of /ready, /live, /metrics (default 17021)
                                                                        AUTOCANARY_SHIM_PORT
  --bind-address ADDR        address to listen on (default 0.0.0.0)    AUTOCANARY_SHIM_BIND_ADDRESS
  --probe-host ADDR          IP address probes connect to (default 127.0.0.1)
                                                                        AUTOCANARY_SHIM_PROBE_HOST
  --period D                 time between probes (default 1s)          AUTOCANARY_SHIM_PERIOD
  --timeout D                one probe's time limit (default 1s)       AUTOCANARY_SHIM_TIMEOUT
  --initial-delay D          before a probe's first run (default 0s)   AUTOCANARY_SHIM_INITIAL_DELAY
  --success-threshold N      successes in a row for a probe to pass (default 1)
                                                                        AUTOCANARY_SHIM_SUCCESS_THRESHOLD
  --failure-threshold N      failures in a row for a probe to fail (default 3)
                                                                        AUTOCANARY_SHIM_FAILURE_THRESHOLD
  --warmup-successes N       before becoming ready: every probe's successes in a row
                             (default 0)                               AUTOCANARY_SHIM_WARMUP_SUCCESSES
  --warmup-time D            before becoming ready: every probe passing this long
                             (default 0s)                              AUTOCANARY_SHIM_WARMUP_TIME
  --log-level LEVEL          debug, info, warn or error (default info) AUTOCANARY_SHIM_LOG_LEVEL

Durations are written as Kubernetes writes them: 500ms, 1s, 1m30s. The timing
flags are the defaults for probes whose JSON does not set them.
)";
}

std::variant<ShimOptions, std::string> parse_shim_options(const std::vector<std::string>& arguments,
                                                          const EnvLookup& env) {
  ShimOptions options;
  std::string env_probes;
  std::vector<std::string> flag_probes;

  const std::vector<Option> table = {
      {"--probe", "AUTOCANARY_SHIM_PROBES", nullptr},  // collected, parsed last
      {"--port", "AUTOCANARY_SHIM_PORT", [&](const std::string& v) { return parse_number(v, 0, 65535, options.port); }},
      {"--bind-address", "AUTOCANARY_SHIM_BIND_ADDRESS",
       [&](const std::string& v) { options.bind_address = v; return is_ip_literal(v); }},
      {"--probe-host", "AUTOCANARY_SHIM_PROBE_HOST",
       [&](const std::string& v) { options.probe_host = v; return is_ip_literal(v); }},
      {"--period", "AUTOCANARY_SHIM_PERIOD",
       [&](const std::string& v) { return parse_millis(v, milliseconds(1), options.defaults.period); }},
      {"--timeout", "AUTOCANARY_SHIM_TIMEOUT",
       [&](const std::string& v) { return parse_millis(v, milliseconds(1), options.defaults.timeout); }},
      {"--initial-delay", "AUTOCANARY_SHIM_INITIAL_DELAY",
       [&](const std::string& v) { return parse_millis(v, milliseconds(0), options.defaults.initial_delay); }},
      {"--success-threshold", "AUTOCANARY_SHIM_SUCCESS_THRESHOLD",
       [&](const std::string& v) { return parse_number(v, 1, 1000, options.defaults.success_threshold); }},
      {"--failure-threshold", "AUTOCANARY_SHIM_FAILURE_THRESHOLD",
       [&](const std::string& v) { return parse_number(v, 1, 1000, options.defaults.failure_threshold); }},
      {"--warmup-successes", "AUTOCANARY_SHIM_WARMUP_SUCCESSES",
       [&](const std::string& v) { return parse_number(v, 0, 1000, options.warm_up.successes); }},
      {"--warmup-time", "AUTOCANARY_SHIM_WARMUP_TIME",
       [&](const std::string& v) { return parse_millis(v, milliseconds(0), options.warm_up.time); }},
      {"--log-level", "AUTOCANARY_SHIM_LOG_LEVEL",
       [&](const std::string& v) { return common::parse_log_level(v, options.log_level); }},
  };

  // The environment first, so flags override it. An empty variable is unset.
  for (const auto& option : table) {
    const auto value = env ? env(option.variable) : std::nullopt;
    if (!value || value->empty()) continue;
    if (!option.set) {
      env_probes = *value;
    } else if (!option.set(*value)) {
      return std::string("invalid value for ") + option.variable + ": '" + *value + "'";
    }
  }

  for (std::size_t i = 0; i < arguments.size(); ++i) {
    std::string flag = arguments[i];
    if (flag == "-h" || flag == "--help") return shim_usage();
    std::string value;
    if (const auto equals = flag.find('='); equals != std::string::npos && flag.starts_with("--")) {
      value = flag.substr(equals + 1);
      flag.resize(equals);
    } else if (i + 1 < arguments.size()) {
      value = arguments[++i];
    } else {
      return flag + " needs a value\n" + shim_usage();
    }
    const auto option = std::find_if(table.begin(), table.end(), [&](const Option& o) { return flag == o.flag; });
    if (option == table.end()) return "unknown flag " + flag + "\n" + shim_usage();
    if (!option->set) {
      flag_probes.push_back(value);
    } else if (!option->set(value)) {
      return "invalid value for " + flag + ": '" + value + "'";
    }
  }

  // Probes last: their defaults are the timing flags, wherever those appeared.
  const ProbeDefaults defaults{options.defaults, options.probe_host, env};
  const auto add = [&](const std::string& text, std::string_view source) -> std::optional<std::string> {
    auto parsed = parse_probe_list(text, defaults);
    if (auto* error = std::get_if<std::string>(&parsed)) return std::string(source) + ": " + *error;
    for (auto& probe : std::get<std::vector<ProbeSpec>>(parsed)) options.probes.push_back(std::move(probe));
    return std::nullopt;
  };
  if (flag_probes.empty()) {
    if (auto error = add(env_probes, "AUTOCANARY_SHIM_PROBES")) return *error;
  } else {
    for (const auto& text : flag_probes)
      if (auto error = add(text, "--probe")) return *error;
  }
  if (options.probes.empty()) return "no probe given: use --probe or AUTOCANARY_SHIM_PROBES\n" + shim_usage();
  std::set<std::string> names;
  for (const auto& probe : options.probes)
    if (!names.insert(probe.name()).second) return "probe " + probe.name() + " is given twice";
  return options;
}

}  // namespace autocanary::shim

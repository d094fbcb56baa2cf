#include "shim/probe_spec.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "common/json_text.h"

namespace autocanary::shim {

namespace {

using nlohmann::json;

constexpr std::size_t kMaxPathLength = 2048;
constexpr std::size_t kMaxHeaders = 32;
constexpr std::size_t kMaxHeaderLength = 4096;
constexpr std::size_t kMaxProbeTextLength = 64 * 1024;
// Timing fields in seconds, bounded so milliseconds cannot overflow and a typo
// like 300000 is refused rather than waited for.
constexpr std::int64_t kMaxSeconds = 24 * 3600;

std::string quoted(std::string_view text) {
  constexpr std::size_t kShown = 80;
  std::string shown(text.substr(0, kShown));
  if (text.size() > kShown) shown += "…";
  return "'" + shown + "'";
}

bool parse_integer(std::string_view text, std::int64_t& value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return !text.empty() && error == std::errc() && end == text.data() + text.size();
}

bool parse_port_number(std::string_view text, int& port) {
  std::int64_t value = 0;
  if (!parse_integer(text, value) || value < 1 || value > 65535) return false;
  port = static_cast<int>(value);
  return true;
}

bool is_ip_literal(const std::string& host) {
  in6_addr address{};
  return inet_pton(AF_INET, host.c_str(), &address) == 1 || inet_pton(AF_INET6, host.c_str(), &address) == 1;
}

// Visible ASCII only: a path goes verbatim into the request line.
std::optional<std::string> check_path(std::string_view path) {
  if (path.empty()) return std::string("/");
  if (path.size() > kMaxPathLength) return std::nullopt;
  for (const char c : path)
    if (c <= ' ' || c >= 0x7f) return std::nullopt;
  return path.front() == '/' ? std::string(path) : "/" + std::string(path);
}

bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool valid_header(const HttpHeader& header) {
  if (header.name.empty() || header.name.size() > kMaxHeaderLength || header.value.size() > kMaxHeaderLength)
    return false;
  if (!std::all_of(header.name.begin(), header.name.end(), is_token_char)) return false;
  return std::none_of(header.value.begin(), header.value.end(),
                      [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

// IANA service names, as Kubernetes container port names are spelt.
bool valid_port_name(std::string_view name) {
  if (name.empty() || name.size() > 15) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

std::variant<ProbeSpec, std::string> parse_short_form(std::string_view text, const ProbeDefaults& defaults) {
  const auto bad = [&](std::string_view why) { return "bad probe " + quoted(text) + ": " + std::string(why); };
  ProbeSpec probe;
  probe.host = defaults.host;
  probe.timing = defaults.timing;
  const auto colon = text.find(':');
  if (colon == std::string_view::npos)
    return bad("expected tcp:PORT, http:PORT/PATH, https:PORT/PATH or a JSON probe");
  const std::string_view scheme = text.substr(0, colon);
  std::string_view rest = text.substr(colon + 1);
  if (scheme == "tcp") {
    probe.kind = ProbeKind::kTcp;
    if (!parse_port_number(rest, probe.port)) return bad("port must be a number from 1 to 65535");
    return probe;
  }
  if (scheme != "http" && scheme != "https")
    return bad("unknown probe type '" + std::string(scheme) + "' (tcp, http or https)");
  probe.kind = scheme == "http" ? ProbeKind::kHttp : ProbeKind::kHttps;
  const auto slash = rest.find('/');
  const std::string_view port = rest.substr(0, slash);
  if (!parse_port_number(port, probe.port)) return bad("port must be a number from 1 to 65535");
  const auto path = check_path(slash == std::string_view::npos ? std::string_view() : rest.substr(slash));
  if (!path) return bad("the path must be visible ASCII without spaces, at most 2048 bytes");
  probe.path = *path;
  return probe;
}

// Reads an optional whole-number field within [minimum, kMaxSeconds].
std::optional<std::string> read_count(const json& object, const char* key, std::int64_t minimum,
                                      std::optional<std::int64_t>& out) {
  const auto found = object.find(key);
  if (found == object.end() || found->is_null()) return std::nullopt;
  if (!found->is_number_integer())
    return std::string(key) + " must be a whole number";
  const auto value = found->get<std::int64_t>();
  if (value < minimum || value > kMaxSeconds)
    return std::string(key) + " must be from " + std::to_string(minimum) + " to " + std::to_string(kMaxSeconds);
  out = value;
  return std::nullopt;
}

std::optional<std::string> read_timing(const json& object, ProbeTiming& timing) {
  std::optional<std::int64_t> period, timeout, initial_delay, success, failure;
  for (const auto& [key, minimum, out] :
       {std::tuple<const char*, std::int64_t, std::optional<std::int64_t>*>{"periodSeconds", 1, &period},
        {"timeoutSeconds", 1, &timeout},
        {"initialDelaySeconds", 0, &initial_delay},
        {"successThreshold", 1, &success},
        {"failureThreshold", 1, &failure}}) {
    if (auto error = read_count(object, key, minimum, *out)) return error;
  }
  using std::chrono::seconds;
  if (period) timing.period = seconds(*period);
  if (timeout) timing.timeout = seconds(*timeout);
  if (initial_delay) timing.initial_delay = seconds(*initial_delay);
  if (success) timing.success_threshold = static_cast<int>(*success);
  if (failure) timing.failure_threshold = static_cast<int>(*failure);
  return std::nullopt;
}

// A Kubernetes IntOrString port: a number, or a container port's name resolved
// through the environment (the webhook knows the container's ports).
std::optional<std::string> read_port(const json& handler, const ProbeDefaults& defaults, int& port) {
  const auto found = handler.find("port");
  if (found == handler.end()) return "port is required";
  if (found->is_number_integer()) {
    const auto value = found->get<std::int64_t>();
    if (value < 1 || value > 65535) return "port must be from 1 to 65535";
    port = static_cast<int>(value);
    return std::nullopt;
  }
  if (!found->is_string()) return "port must be a number or a port name";
  const auto& text = found->get_ref<const std::string&>();
  if (parse_port_number(text, port)) return std::nullopt;
  if (!valid_port_name(text)) return "port '" + text.substr(0, 40) + "' is neither a number nor a port name";
  const std::string variable = named_port_variable(text);
  const auto value = defaults.env ? defaults.env(variable) : std::nullopt;
  if (!value) return "named port '" + text + "' is not known: set " + variable + " or use the port's number";
  if (!parse_port_number(*value, port))
    return variable + " must be a port number from 1 to 65535, not '" + value->substr(0, 40) + "'";
  return std::nullopt;
}

std::optional<std::string> read_host(const json& handler, const ProbeDefaults& defaults, std::string& host) {
  const auto found = handler.find("host");
  const bool unset = found == handler.end() || found->is_null() ||
                     (found->is_string() && found->get_ref<const std::string&>().empty());
  if (unset) {
    host = defaults.host;
    return std::nullopt;
  }
  if (!found->is_string() || !is_ip_literal(found->get<std::string>()))
    return "host must be an IP address (the shim resolves no names)";
  host = found->get<std::string>();
  return std::nullopt;
}

std::optional<std::string> read_http_get(const json& handler, const ProbeDefaults& defaults, ProbeSpec& probe) {
  probe.kind = ProbeKind::kHttp;
  if (const auto scheme = handler.find("scheme"); scheme != handler.end() && !scheme->is_null()) {
    if (*scheme == "HTTPS") {
      probe.kind = ProbeKind::kHttps;
    } else if (*scheme != "HTTP") {
      return "httpGet.scheme must be HTTP or HTTPS";
    }
  }
  if (auto error = read_port(handler, defaults, probe.port)) return "httpGet." + *error;
  if (auto error = read_host(handler, defaults, probe.host)) return "httpGet." + *error;
  if (const auto path = handler.find("path"); path != handler.end() && !path->is_null()) {
    const auto checked = path->is_string() ? check_path(path->get<std::string>()) : std::nullopt;
    if (!checked) return "httpGet.path must be visible ASCII without spaces, at most 2048 bytes";
    probe.path = *checked;
  }
  if (const auto headers = handler.find("httpHeaders"); headers != handler.end() && !headers->is_null()) {
    if (!headers->is_array() || headers->size() > kMaxHeaders)
      return "httpGet.httpHeaders must be a list of at most 32 {name, value}";
    for (const auto& entry : *headers) {
      if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string() ||
          (entry.contains("value") && !entry["value"].is_string()))
        return "httpGet.httpHeaders entries need a string name and value";
      HttpHeader header{entry["name"].get<std::string>(), entry.value("value", std::string())};
      if (!valid_header(header)) return "httpGet.httpHeaders has an invalid header '" + header.name.substr(0, 40) + "'";
      probe.headers.push_back(std::move(header));
    }
  }
  return std::nullopt;
}

std::variant<ProbeSpec, std::string> parse_probe_object(const json& object, std::string_view text,
                                                        const ProbeDefaults& defaults) {
  const auto bad = [&](std::string_view why) { return "bad probe " + quoted(text) + ": " + std::string(why); };
  if (!object.is_object()) return bad("a JSON probe must be an object");
  ProbeSpec probe;
  probe.host = defaults.host;
  probe.timing = defaults.timing;
  const bool http = object.contains("httpGet");
  const bool tcp = object.contains("tcpSocket");
  if (http && tcp) return bad("give httpGet or tcpSocket, not both");
  if (http) {
    if (!object["httpGet"].is_object()) return bad("httpGet must be an object");
    if (auto error = read_http_get(object["httpGet"], defaults, probe)) return bad(*error);
  } else if (tcp) {
    const auto& handler = object["tcpSocket"];
    if (!handler.is_object()) return bad("tcpSocket must be an object");
    probe.kind = ProbeKind::kTcp;
    if (auto error = read_port(handler, defaults, probe.port)) return bad("tcpSocket." + *error);
    if (auto error = read_host(handler, defaults, probe.host)) return bad("tcpSocket." + *error);
  } else if (object.contains("exec")) {
    return bad("exec probes run inside the app container; the shim cannot run them");
  } else if (object.contains("grpc")) {
    return bad("grpc probes are not supported; use httpGet or tcpSocket");
  } else {
    return bad("needs httpGet or tcpSocket");
  }
  if (auto error = read_timing(object, probe.timing)) return bad(*error);
  return probe;
}

// A probe is at most four levels deep (list, probe, httpGet, httpHeaders, entry);
// deeper text is refused before the parser recurses into it.
constexpr int kMaxNesting = 8;

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

}  // namespace

std::string ProbeSpec::name() const {
  switch (kind) {
    case ProbeKind::kTcp: return "tcp:" + std::to_string(port);
    case ProbeKind::kHttp: return "http:" + std::to_string(port) + path;
    case ProbeKind::kHttps: return "https:" + std::to_string(port) + path;
  }
  return "probe";
}

std::string named_port_variable(std::string_view port_name) {
  std::string variable = "AUTOCANARY_SHIM_NAMED_PORT_";
  for (const char c : port_name)
    variable += c == '-' ? '_' : static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return variable;
}

std::variant<ProbeSpec, std::string> parse_probe(std::string_view text, const ProbeDefaults& defaults) {
  text = trim(text);
  if (text.size() > kMaxProbeTextLength) return "bad probe: longer than 64 KiB";
  if (text.empty()) return "bad probe: empty";
  if (text.front() != '{') return parse_short_form(text, defaults);
  if (common::json_nesting_exceeds(text, kMaxNesting)) return "bad probe " + quoted(text) + ": nested too deeply";
  const json object = json::parse(text, nullptr, false);
  if (object.is_discarded()) return "bad probe " + quoted(text) + ": not valid JSON";
  return parse_probe_object(object, text, defaults);
}

std::variant<std::vector<ProbeSpec>, std::string> parse_probe_list(std::string_view text,
                                                                   const ProbeDefaults& defaults) {
  text = trim(text);
  if (text.size() > kMaxProbeTextLength) return "bad probe list: longer than 64 KiB";
  std::vector<ProbeSpec> probes;
  if (text.empty()) return probes;
  if (text.front() == '{') {
    auto probe = parse_probe(text, defaults);
    if (auto* error = std::get_if<std::string>(&probe)) return *error;
    probes.push_back(std::get<ProbeSpec>(std::move(probe)));
    return probes;
  }
  if (text.front() == '[') {
    if (common::json_nesting_exceeds(text, kMaxNesting)) return "bad probe list " + quoted(text) + ": nested too deeply";
    const json list = json::parse(text, nullptr, false);
    if (list.is_discarded() || !list.is_array()) return "bad probe list " + quoted(text) + ": not a valid JSON array";
    for (const auto& element : list) {
      auto probe = element.is_string() ? parse_probe(element.get_ref<const std::string&>(), defaults)
                                       : parse_probe_object(element, element.dump(), defaults);
      if (auto* error = std::get_if<std::string>(&probe)) return *error;
      probes.push_back(std::get<ProbeSpec>(std::move(probe)));
    }
    return probes;
  }
  while (!text.empty()) {
    const auto end = text.find_first_of(" \t\r\n");
    auto probe = parse_probe(text.substr(0, end), defaults);
    if (auto* error = std::get_if<std::string>(&probe)) return *error;
    probes.push_back(std::get<ProbeSpec>(std::move(probe)));
    text = trim(end == std::string_view::npos ? std::string_view() : text.substr(end));
  }
  return probes;
}

}  // namespace autocanary::shim

#include "shim/probe_spec.h"

#include <gtest/gtest.h>

#include <map>

namespace autocanary::shim {
namespace {

using namespace std::chrono_literals;

ProbeDefaults defaults(std::map<std::string, std::string> env = {}) {
  ProbeDefaults result;
  result.host = "127.0.0.1";
  result.env = [env = std::move(env)](const std::string& name) -> std::optional<std::string> {
    const auto found = env.find(name);
    return found == env.end() ? std::nullopt : std::optional<std::string>(found->second);
  };
  return result;
}

ProbeSpec parsed(std::string_view text, const ProbeDefaults& with = defaults()) {
  auto result = parse_probe(text, with);
  if (auto* error = std::get_if<std::string>(&result)) ADD_FAILURE() << *error;
  return std::holds_alternative<ProbeSpec>(result) ? std::get<ProbeSpec>(result) : ProbeSpec{};
}

std::string error(std::string_view text, const ProbeDefaults& with = defaults()) {
  auto result = parse_probe(text, with);
  return std::holds_alternative<std::string>(result) ? std::get<std::string>(result) : "<parsed>";
}

TEST(ShimProbeSpecTest, ShortTcpForm) {
  const ProbeSpec probe = parsed("tcp:8080");
  EXPECT_EQ(probe.kind, ProbeKind::kTcp);
  EXPECT_EQ(probe.port, 8080);
  EXPECT_EQ(probe.host, "127.0.0.1");
  EXPECT_EQ(probe.timing, ProbeTiming{});
  EXPECT_EQ(probe.name(), "tcp:8080");
}

TEST(ShimProbeSpecTest, ShortHttpFormsKeepPathAndQuery) {
  EXPECT_EQ(parsed("http:8080/healthz?full=1").path, "/healthz?full=1");
  EXPECT_EQ(parsed("http:8080").path, "/");
  const ProbeSpec https = parsed("https:8443/ready");
  EXPECT_EQ(https.kind, ProbeKind::kHttps);
  EXPECT_EQ(https.name(), "https:8443/ready");
}

TEST(ShimProbeSpecTest, ShortFormsTakeTheDefaultTiming) {
  ProbeDefaults with = defaults();
  with.timing.period = 250ms;
  with.timing.failure_threshold = 7;
  with.host = "10.1.2.3";
  const ProbeSpec probe = parsed("http:80/", with);
  EXPECT_EQ(probe.timing.period, 250ms);
  EXPECT_EQ(probe.timing.failure_threshold, 7);
  EXPECT_EQ(probe.host, "10.1.2.3");
}

TEST(ShimProbeSpecTest, BadShortFormsAreExplained) {
  EXPECT_NE(error("tcp:0").find("port must be a number from 1 to 65535"), std::string::npos);
  EXPECT_NE(error("tcp:65536").find("port must be"), std::string::npos);
  EXPECT_NE(error("tcp:80x").find("port must be"), std::string::npos);
  EXPECT_NE(error("http:/healthz").find("port must be"), std::string::npos);
  EXPECT_NE(error("udp:53").find("unknown probe type 'udp'"), std::string::npos);
  EXPECT_NE(error("8080").find("expected tcp:PORT"), std::string::npos);
  EXPECT_NE(error("http:80/a\x01").find("visible ASCII"), std::string::npos);
  EXPECT_NE(error("").find("empty"), std::string::npos);
}

TEST(ShimProbeSpecTest, KubernetesHttpGetProbe) {
  const ProbeSpec probe = parsed(R"({"httpGet": {"port": 8080, "path": "/healthz", "scheme": "HTTP",
      "httpHeaders": [{"name": "X-Probe", "value": "shim"}]},
      "timeoutSeconds": 2, "periodSeconds": 5, "successThreshold": 2, "failureThreshold": 4,
      "initialDelaySeconds": 3, "terminationGracePeriodSeconds": 30})");
  EXPECT_EQ(probe.kind, ProbeKind::kHttp);
  EXPECT_EQ(probe.port, 8080);
  EXPECT_EQ(probe.path, "/healthz");
  EXPECT_EQ(probe.headers, (std::vector<HttpHeader>{{"X-Probe", "shim"}}));
  EXPECT_EQ(probe.timing, (ProbeTiming{5s, 2s, 3s, 2, 4}));
  EXPECT_EQ(probe.name(), "http:8080/healthz");
}

TEST(ShimProbeSpecTest, UnsetJsonFieldsTakeTheDefaults) {
  ProbeDefaults with = defaults();
  with.timing.period = 100ms;
  const ProbeSpec probe = parsed(R"({"httpGet": {"port": 80}, "failureThreshold": 1})", with);
  EXPECT_EQ(probe.path, "/");
  EXPECT_EQ(probe.timing.period, 100ms);
  EXPECT_EQ(probe.timing.timeout, 1s);
  EXPECT_EQ(probe.timing.failure_threshold, 1);
}

TEST(ShimProbeSpecTest, HttpsSchemeHostAndPathWithoutSlash) {
  const ProbeSpec probe = parsed(R"({"httpGet": {"port": 8443, "path": "ready", "scheme": "HTTPS", "host": "::1"}})");
  EXPECT_EQ(probe.kind, ProbeKind::kHttps);
  EXPECT_EQ(probe.host, "::1");
  EXPECT_EQ(probe.path, "/ready");
}

TEST(ShimProbeSpecTest, TcpSocketProbe) {
  const ProbeSpec probe = parsed(R"({"tcpSocket": {"port": 5432}, "periodSeconds": 10})");
  EXPECT_EQ(probe.kind, ProbeKind::kTcp);
  EXPECT_EQ(probe.port, 5432);
  EXPECT_EQ(probe.timing.period, 10s);
}

TEST(ShimProbeSpecTest, NamedPortsAreReadFromTheEnvironment) {
  const auto with = defaults({{"AUTOCANARY_SHIM_NAMED_PORT_HTTP_ALT", "8081"}});
  EXPECT_EQ(parsed(R"({"httpGet": {"port": "http-alt"}})", with).port, 8081);
  EXPECT_EQ(parsed(R"({"tcpSocket": {"port": "9000"}})").port, 9000);
  EXPECT_EQ(named_port_variable("metrics-1"), "AUTOCANARY_SHIM_NAMED_PORT_METRICS_1");
  EXPECT_NE(error(R"({"httpGet": {"port": "http"}})")
                .find("named port 'http' is not known: set AUTOCANARY_SHIM_NAMED_PORT_HTTP or use the port's number"),
            std::string::npos);
  EXPECT_NE(error(R"({"httpGet": {"port": "web"}})", defaults({{"AUTOCANARY_SHIM_NAMED_PORT_WEB", "eighty"}}))
                .find("AUTOCANARY_SHIM_NAMED_PORT_WEB must be a port number"),
            std::string::npos);
}

TEST(ShimProbeSpecTest, BadJsonProbesAreExplained) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"httpGet": {"port": 8080})", "not valid JSON"},
      {R"({"exec": {"command": ["cat", "/tmp/ready"]}})", "exec probes run inside the app container"},
      {R"({"grpc": {"port": 9090}})", "grpc probes are not supported"},
      {R"({"periodSeconds": 1})", "needs httpGet or tcpSocket"},
      {R"({"httpGet": {"port": 1}, "tcpSocket": {"port": 1}})", "not both"},
      {R"({"httpGet": {"path": "/"}})", "httpGet.port is required"},
      {R"({"httpGet": {"port": 70000}})", "httpGet.port must be from 1 to 65535"},
      {R"({"httpGet": {"port": true}})", "httpGet.port must be a number or a port name"},
      {R"({"httpGet": {"port": "Not_A_Name"}})", "neither a number nor a port name"},
      {R"({"httpGet": {"port": 80, "scheme": "FTP"}})", "httpGet.scheme must be HTTP or HTTPS"},
      {R"({"httpGet": {"port": 80, "host": "app.example"}})", "host must be an IP address"},
      {R"({"httpGet": {"port": 80, "path": "/a b"}})", "httpGet.path must be visible ASCII"},
      {R"({"httpGet": {"port": 80, "httpHeaders": [{"name": "X\r\nEvil", "value": "1"}]}})", "invalid header"},
      {R"({"httpGet": {"port": 80, "httpHeaders": [{"name": "X", "value": "a\r\nEvil: 1"}]}})", "invalid header"},
      {R"({"httpGet": {"port": 80, "httpHeaders": {"X": "1"}}})", "must be a list"},
      {R"({"tcpSocket": {"port": 80}, "periodSeconds": 0})", "periodSeconds must be from 1"},
      {R"({"tcpSocket": {"port": 80}, "timeoutSeconds": 1.5})", "timeoutSeconds must be a whole number"},
      {R"({"tcpSocket": {"port": 80}, "failureThreshold": 99999999})", "failureThreshold must be from 1"},
      {R"({"tcpSocket": {"port": 80}, "initialDelaySeconds": -1})", "initialDelaySeconds must be from 0"},
      {R"({"tcpSocket": 80})", "tcpSocket must be an object"},
      {R"({"httpGet": {"port": 80, "x": [[[[[[[[[[1]]]]]]]]]]}})", "nested too deeply"},
  };
  for (const auto& [text, expected] : cases)
    EXPECT_NE(error(text).find(expected), std::string::npos) << text << " → " << error(text);
}

TEST(ShimProbeSpecTest, ListsInEveryForm) {
  const auto names = [](std::string_view text) {
    auto result = parse_probe_list(text, defaults());
    std::vector<std::string> out;
    if (auto* error = std::get_if<std::string>(&result)) {
      out.push_back("error: " + *error);
      return out;
    }
    for (const auto& probe : std::get<std::vector<ProbeSpec>>(result)) out.push_back(probe.name());
    return out;
  };
  EXPECT_EQ(names("tcp:8080  http:8080/healthz\n"), (std::vector<std::string>{"tcp:8080", "http:8080/healthz"}));
  EXPECT_EQ(names(R"(["tcp:1", {"httpGet": {"port": 2, "path": "/x"}}])"),
            (std::vector<std::string>{"tcp:1", "http:2/x"}));
  EXPECT_EQ(names(R"( {"tcpSocket": {"port": 3}} )"), std::vector<std::string>{"tcp:3"});
  EXPECT_TRUE(names("  ").empty());
  EXPECT_NE(names("[1, 2]").front().find("a JSON probe must be an object"), std::string::npos);
  EXPECT_NE(names("[tcp:1]").front().find("not a valid JSON array"), std::string::npos);
  EXPECT_NE(names("tcp:1 tcp:x").front().find("bad probe 'tcp:x'"), std::string::npos);
}

}  // namespace
}  // namespace autocanary::shim

#include "shim/shim_options.h"

#include <gtest/gtest.h>

#include <map>

namespace autocanary::shim {
namespace {

using namespace std::chrono_literals;

EnvLookup environment(std::map<std::string, std::string> values) {
  return [values = std::move(values)](const std::string& name) -> std::optional<std::string> {
    const auto found = values.find(name);
    return found == values.end() ? std::nullopt : std::optional<std::string>(found->second);
  };
}

ShimOptions parsed(const std::vector<std::string>& arguments, std::map<std::string, std::string> env = {}) {
  auto result = parse_shim_options(arguments, environment(std::move(env)));
  if (auto* error = std::get_if<std::string>(&result)) ADD_FAILURE() << *error;
  return std::holds_alternative<ShimOptions>(result) ? std::get<ShimOptions>(result) : ShimOptions{};
}

std::string error(const std::vector<std::string>& arguments, std::map<std::string, std::string> env = {}) {
  auto result = parse_shim_options(arguments, environment(std::move(env)));
  return std::holds_alternative<std::string>(result) ? std::get<std::string>(result) : "<parsed>";
}

TEST(ShimOptionsTest, DefaultsNeedOnlyAProbe) {
  const ShimOptions options = parsed({"--probe", "tcp:8080"});
  EXPECT_EQ(options.port, 17021);
  EXPECT_EQ(options.bind_address, "0.0.0.0");
  EXPECT_EQ(options.probe_host, "127.0.0.1");
  EXPECT_EQ(options.defaults, ProbeTiming{});
  EXPECT_EQ(options.warm_up.successes, 0);
  EXPECT_EQ(options.warm_up.time, 0ms);
  EXPECT_EQ(options.log_level, common::LogLevel::kInfo);
  ASSERT_EQ(options.probes.size(), 1U);
  EXPECT_EQ(options.probes[0].name(), "tcp:8080");
}

TEST(ShimOptionsTest, ParsesEveryFlag) {
  const ShimOptions options =
      parsed({"--port", "0", "--bind-address=127.0.0.1", "--probe", "tcp:1", "--probe", "http:2/x",
              "--probe-host", "10.0.0.7", "--period", "250ms", "--timeout", "100ms", "--initial-delay", "2s",
              "--success-threshold", "2", "--failure-threshold", "5", "--warmup-successes", "3", "--warmup-time",
              "10s", "--log-level", "debug"});
  EXPECT_EQ(options.port, 0);
  EXPECT_EQ(options.bind_address, "127.0.0.1");
  EXPECT_EQ(options.probe_host, "10.0.0.7");
  EXPECT_EQ(options.defaults, (ProbeTiming{250ms, 100ms, 2s, 2, 5}));
  EXPECT_EQ(options.warm_up.successes, 3);
  EXPECT_EQ(options.warm_up.time, 10s);
  EXPECT_EQ(options.log_level, common::LogLevel::kDebug);
  ASSERT_EQ(options.probes.size(), 2U);
  // Probes take the timing and host flags even when those come after them.
  EXPECT_EQ(options.probes[1].timing, options.defaults);
  EXPECT_EQ(options.probes[1].host, "10.0.0.7");
}

TEST(ShimOptionsTest, EveryFlagHasAnEnvironmentVariable) {
  const ShimOptions options = parsed({}, {{"AUTOCANARY_SHIM_PORT", "9000"},
                                          {"AUTOCANARY_SHIM_BIND_ADDRESS", "::"},
                                          {"AUTOCANARY_SHIM_PROBES", R"([{"httpGet": {"port": 8080}}, "tcp:9090"])"},
                                          {"AUTOCANARY_SHIM_PROBE_HOST", "10.0.0.8"},
                                          {"AUTOCANARY_SHIM_PERIOD", "2s"},
                                          {"AUTOCANARY_SHIM_TIMEOUT", "500ms"},
                                          {"AUTOCANARY_SHIM_INITIAL_DELAY", "1s"},
                                          {"AUTOCANARY_SHIM_SUCCESS_THRESHOLD", "3"},
                                          {"AUTOCANARY_SHIM_FAILURE_THRESHOLD", "4"},
                                          {"AUTOCANARY_SHIM_WARMUP_SUCCESSES", "5"},
                                          {"AUTOCANARY_SHIM_WARMUP_TIME", "30s"},
                                          {"AUTOCANARY_SHIM_LOG_LEVEL", "warn"}});
  EXPECT_EQ(options.port, 9000);
  EXPECT_EQ(options.bind_address, "::");
  EXPECT_EQ(options.probe_host, "10.0.0.8");
  EXPECT_EQ(options.defaults, (ProbeTiming{2s, 500ms, 1s, 3, 4}));
  EXPECT_EQ(options.warm_up.successes, 5);
  EXPECT_EQ(options.warm_up.time, 30s);
  EXPECT_EQ(options.log_level, common::LogLevel::kWarn);
  ASSERT_EQ(options.probes.size(), 2U);
  EXPECT_EQ(options.probes[0].name(), "http:8080/");
  EXPECT_EQ(options.probes[0].host, "10.0.0.8");
}

TEST(ShimOptionsTest, FlagsWinOverTheEnvironment) {
  const ShimOptions options =
      parsed({"--port", "7000", "--probe", "tcp:2"}, {{"AUTOCANARY_SHIM_PORT", "9000"},
                                                      {"AUTOCANARY_SHIM_PROBES", "tcp:1 tcp:3"},
                                                      {"AUTOCANARY_SHIM_LOG_LEVEL", ""}});
  EXPECT_EQ(options.port, 7000);
  ASSERT_EQ(options.probes.size(), 1U);
  EXPECT_EQ(options.probes[0].name(), "tcp:2");
}

TEST(ShimOptionsTest, NamedPortsResolveThroughTheEnvironment) {
  const ShimOptions options = parsed({"--probe", R"({"tcpSocket": {"port": "db"}})"},
                                     {{"AUTOCANARY_SHIM_NAMED_PORT_DB", "5432"}});
  EXPECT_EQ(options.probes.at(0).port, 5432);
}

TEST(ShimOptionsTest, ReportsWhatIsWrong) {
  EXPECT_NE(error({}).find("no probe given: use --probe or AUTOCANARY_SHIM_PROBES"), std::string::npos);
  EXPECT_NE(error({"--probe", "tcp:1", "--port", "http"}).find("invalid value for --port: 'http'"),
            std::string::npos);
  EXPECT_NE(error({"--probe", "tcp:1", "--port", "65536"}).find("invalid value for --port"), std::string::npos);
  EXPECT_NE(error({"--probe", "tcp:1", "--period", "0s"}).find("invalid value for --period"), std::string::npos);
  EXPECT_NE(error({"--probe", "tcp:1", "--timeout", "soon"}).find("invalid value for --timeout"), std::string::npos);
  EXPECT_NE(error({"--probe", "tcp:1", "--period", "48h"}).find("invalid value for --period"), std::string::npos);
  EXPECT_NE(error({"--probe", "tcp:1", "--failure-threshold", "0"}).find("invalid value for --failure-threshold"),
            std::string::npos);
  EXPECT_NE(error({"--probe", "tcp:1", "--probe-host", "localhost"}).find("invalid value for --probe-host"),
            std::string::npos);
  EXPECT_NE(error({"--probe", "tcp:1", "--log-level", "loud"}).find("invalid value for --log-level"),
            std::string::npos);
  EXPECT_NE(error({"--probe", "tcp:1", "--frobnicate", "1"}).find("unknown flag --frobnicate"), std::string::npos);
  EXPECT_NE(error({"--probe"}).find("--probe needs a value"), std::string::npos);
  EXPECT_NE(error({"--probe", "tcp:x"}).find("--probe: bad probe 'tcp:x'"), std::string::npos);
  EXPECT_NE(error({"--probe", "tcp:1", "--probe", "tcp:1"}).find("probe tcp:1 is given twice"), std::string::npos);
  EXPECT_NE(error({}, {{"AUTOCANARY_SHIM_PORT", "x"}}).find("invalid value for AUTOCANARY_SHIM_PORT: 'x'"),
            std::string::npos);
  EXPECT_NE(error({}, {{"AUTOCANARY_SHIM_PROBES", "[{\"exec\": {}}]"}})
                .find("AUTOCANARY_SHIM_PROBES: bad probe"),
            std::string::npos);
}

TEST(ShimOptionsTest, HelpIsUsage) {
  const std::string help = error({"--help"});
  EXPECT_TRUE(help.starts_with("usage:"));
  for (const char* variable : {"AUTOCANARY_SHIM_PORT", "AUTOCANARY_SHIM_PROBES", "AUTOCANARY_SHIM_PERIOD",
                               "AUTOCANARY_SHIM_WARMUP_TIME", "AUTOCANARY_SHIM_NAMED_PORT_"})
    EXPECT_NE(help.find(variable), std::string::npos) << variable;
}

}  // namespace
}  // namespace autocanary::shim

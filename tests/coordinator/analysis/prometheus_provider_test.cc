#include "coordinator/analysis/prometheus_provider.h"

#include <gtest/gtest.h>

#include "tests/coordinator/analysis/web_context.h"

#include "tests/coordinator/analysis/local_http_server.h"
#include "tests/support/fixtures.h"

namespace autocanary::analysis {
namespace {

using namespace std::chrono_literals;
using Kind = Measurement::Kind;

AnalysisContext web() { return web_context(); }

policy::AnalysisDefinition error_rate(const std::string& address) {
  policy::AnalysisDefinition definition;
  definition.name = "error-rate";
  definition.address = address;
  definition.query = R"(sum(rate(http_requests_total{namespace="{{namespace}}",code=~"5.."}[1m])))";
  definition.max = 0.01;
  definition.timeout = 500ms;
  return definition;
}

TEST(PrometheusProviderTest, PostsTheRenderedQueryAndReadsTheValue) {
  testing::LocalHttpServer server;
  server.answer({200, testing::load_text("prometheus/vector-one.json"), 0ms});
  PrometheusProvider provider(error_rate(server.url("/prometheus/")), "");
  const Measurement m = provider.measure(web(), {});
  EXPECT_EQ(m.kind, Kind::kValue) << m.message;
  EXPECT_DOUBLE_EQ(m.value, 0.002);
  const auto received = server.received();
  ASSERT_EQ(received.size(), 1U);
  EXPECT_EQ(received[0].path, "/prometheus/api/v1/query");
  EXPECT_EQ(received[0].get_param_value("query"),
            R"(sum(rate(http_requests_total{namespace="shop",code=~"5.."}[1m])))");
}

TEST(PrometheusProviderTest, TheDefaultAddressServesDefinitionsWithoutOne) {
  testing::LocalHttpServer server;
  server.answer({200, testing::load_text("prometheus/vector-empty.json"), 0ms});
  PrometheusProvider provider(error_rate(""), server.url());
  EXPECT_EQ(provider.measure(web(), {}).kind, Kind::kNoData);
  PrometheusProvider nowhere(error_rate(""), "");
  const Measurement m = nowhere.measure(web(), {});
  EXPECT_EQ(m.kind, Kind::kError);
  EXPECT_EQ(m.message, "no Prometheus address: set prometheus.address in the policy or --prometheus-address");
}

TEST(PrometheusProviderTest, AnUnreachableServerIsAnErrorThatSaysSo) {
  PrometheusProvider provider(error_rate("http://127.0.0.1:" + std::to_string(testing::closed_port())), "");
  const Measurement m = provider.measure(web(), {});
  EXPECT_EQ(m.kind, Kind::kError);
  EXPECT_EQ(m.message.substr(0, 56), "cannot reach Prometheus: no answer from http://127.0.0.1");
}

TEST(PrometheusProviderTest, AServerThatDoesNotAnswerInTimeIsAnError) {
  testing::LocalHttpServer server;
  server.answer({200, testing::load_text("prometheus/vector-one.json"), 2s});
  PrometheusProvider provider(error_rate(server.url()), "");
  const Measurement m = provider.measure(web(), {});
  EXPECT_EQ(m.kind, Kind::kError) << "gave up at the timeout, before the late answer";
}

TEST(PrometheusProviderTest, ARefusedQueryIsAnError) {
  testing::LocalHttpServer server;
  server.answer({400, testing::load_text("prometheus/bad-query.json"), 0ms});
  PrometheusProvider provider(error_rate(server.url()), "");
  const Measurement m = provider.measure(web(), {});
  EXPECT_EQ(m.kind, Kind::kError);
  EXPECT_NE(m.message.find("bad_data"), std::string::npos);
}

TEST(PrometheusProviderTest, AnUnknownVariableNeverReachesTheServer) {
  testing::LocalHttpServer server;
  policy::AnalysisDefinition definition = error_rate(server.url());
  definition.query = "up{app=\"{{app}}\"}";
  PrometheusProvider provider(definition, "");
  EXPECT_EQ(provider.measure(web(), {}).kind, Kind::kError);
  EXPECT_TRUE(server.received().empty());
}

// Error rate 0.002 over `samples` requests: the sample query is told apart by
// its metric name.
void serve_error_rate_over(testing::LocalHttpServer& server, std::string samples) {
  server.answer_by([samples = std::move(samples)](const httplib::Request& request) -> testing::LocalHttpServer::Answer {
    if (request.get_param_value("query").starts_with("sum(increase(")) {
      if (samples.empty()) return {200, testing::load_text("prometheus/vector-empty.json"), 0ms};
      return {200, R"({"status":"success","data":{"resultType":"scalar","result":[1795600805.1,")" + samples + R"("]}})",
              0ms};
    }
    return {200, testing::load_text("prometheus/vector-one.json"), 0ms};
  });
}

policy::AnalysisDefinition error_rate_of_at_least(const std::string& address, int minimum_sample) {
  policy::AnalysisDefinition definition = error_rate(address);
  definition.minimum_sample = minimum_sample;
  definition.sample_query = R"(sum(increase(http_requests_total{namespace="{{namespace}}"}[1m])))";
  return definition;
}

TEST(PrometheusProviderTest, AValueOnTooFewSamplesIsNotTakenAndSaysHowMany) {
  testing::LocalHttpServer server;
  serve_error_rate_over(server, "42");
  PrometheusProvider provider(error_rate_of_at_least(server.url(), 100), "");
  const Measurement m = provider.measure(web(), {});
  EXPECT_EQ(m.kind, Kind::kTooFewSamples);
  EXPECT_EQ(m.message, "42 samples, fewer than minimumSample 100 (sampleQuery)");
  const auto received = server.received();
  ASSERT_EQ(received.size(), 1U) << "the value's query is not even sent";
  EXPECT_EQ(received[0].get_param_value("query"), R"(sum(increase(http_requests_total{namespace="shop"}[1m])))");
}

TEST(PrometheusProviderTest, EnoughSamplesLetTheValueBeJudged) {
  testing::LocalHttpServer server;
  serve_error_rate_over(server, "100");
  PrometheusProvider provider(error_rate_of_at_least(server.url(), 100), "");
  const Measurement m = provider.measure(web(), {});
  EXPECT_EQ(m.kind, Kind::kValue) << m.message;
  EXPECT_DOUBLE_EQ(m.value, 0.002);
  EXPECT_EQ(server.received().size(), 2U);
}

TEST(PrometheusProviderTest, NoSeriesOfSamplesIsNoTraffic) {
  testing::LocalHttpServer server;
  serve_error_rate_over(server, "");
  PrometheusProvider provider(error_rate_of_at_least(server.url(), 1), "");
  const Measurement m = provider.measure(web(), {});
  EXPECT_EQ(m.kind, Kind::kTooFewSamples);
  EXPECT_EQ(m.message, "0 samples, fewer than minimumSample 1 (sampleQuery)");
}

TEST(PrometheusProviderTest, AFailingSampleQueryIsAnErrorNamingIt) {
  testing::LocalHttpServer server;
  server.answer({400, testing::load_text("prometheus/bad-query.json"), 0ms});
  PrometheusProvider provider(error_rate_of_at_least(server.url(), 10), "");
  const Measurement m = provider.measure(web(), {});
  EXPECT_EQ(m.kind, Kind::kError);
  EXPECT_TRUE(m.message.starts_with("sampleQuery: ")) << m.message;
  EXPECT_EQ(server.received().size(), 1U);
}

}  // namespace
}  // namespace autocanary::analysis

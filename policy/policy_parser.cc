#include "policy/policy_parser.h"

#include <map>

#include "common/duration.h"
#include "kube/label_selector.h"

namespace autocanary::policy {

namespace {

using nlohmann::json;

class Parser {
 public:
  std::variant<std::vector<Step>, std::vector<std::string>> run_steps(const json& value, const CanaryPolicy& base) {
    CanaryPolicy policy = base;
    policy.steps = steps(value);
    if (problems_.empty())
      for (auto& problem : validate(policy)) problems_.push_back(std::move(problem));
    if (!problems_.empty()) return problems_;
    return std::move(policy.steps);
  }

  std::variant<CanaryPolicy, std::vector<std::string>> run(const json& spec) {
    CanaryPolicy policy = builtin_default_policy();
    if (!spec.is_object()) return std::vector<std::string>{"policy: must be an object"};
    for (const auto& [key, value] : spec.items()) {
      if (key == "steps") {
        policy.steps = steps(value);
      } else if (key == "trafficBackend") {
        choose(value, key, {{"auto", TrafficBackend::kAuto}, {"podRatio", TrafficBackend::kPodRatio},
                            {"smi", TrafficBackend::kSmi}, {"gatewayAPI", TrafficBackend::kGatewayApi},
                            {"istio", TrafficBackend::kIstio}}, policy.traffic_backend);
      } else if (key == "rolloutRestart") {
        choose(value, key, {{"canary", RestartHandling::kCanary}, {"rollout", RestartHandling::kRollout}},
               policy.restart_handling);
      } else if (key == "recreateDeployments") {
        choose(value, key, {{"rollout", RecreateHandling::kRollout}, {"canary", RecreateHandling::kCanary}},
               policy.recreate_handling);
      } else if (key == "shimInjection") {
        choose(value, key, {{"always", ShimInjection::kAlways}, {"never", ShimInjection::kNever},
                            {"whenNoProbe", ShimInjection::kWhenNoProbe}}, policy.shim_injection);
      } else if (key == "analyses") {
        policy.analyses = analyses(value);
      } else if (key == "tests") {
        policy.tests = tests(value);
      } else if (key == "podHealth") {
        policy.pod_health = pod_health(value);
      } else if (key == "canaryReplicas") {
        const json mode = value.is_object() ? value.value("mode", json("weight")) : json();
        choose(mode, "canaryReplicas.mode",
               {{"weight", CanaryReplicas::kWeight}, {"matchStable", CanaryReplicas::kMatchStable}},
               policy.canary_replicas);
      } else if (key == "abortScaleDownDelay") {
        if (auto delay = duration(value, key)) policy.abort_scale_down_delay = *delay;
      } else if (key == "namespaceSelector") {
        // Who may use the policy, not how it rolls: resolution applies it.
        if (auto checked = kube::label_selector_matches(value, json::object());
            auto* problem = std::get_if<std::string>(&checked))
          problems_.push_back("namespaceSelector: " + *problem);
      } else {
        problems_.push_back(key + ": unknown field");
      }
    }
    if (problems_.empty())
      for (auto& problem : validate(policy)) problems_.push_back(std::move(problem));
    if (!problems_.empty()) return problems_;
    return policy;
  }

 private:
  std::vector<Step> steps(const json& value) {
    std::vector<Step> parsed;
    if (!value.is_array()) {
      problems_.emplace_back("steps: must be a list");
      return parsed;
    }
    for (std::size_t i = 0; i < value.size(); ++i) {
      const std::string where = "steps[" + std::to_string(i) + "]";
      const json& item = value[i];
      if (!item.is_object() || item.size() != 1) {
        problems_.push_back(where + ": must have exactly one of setWeight, pause, analysis, test");
        continue;
      }
      const std::string kind = item.begin().key();
      const json& body = item.begin().value();
      if (kind == "setWeight") {
        if (!body.is_number_integer()) {
          problems_.push_back(where + ".setWeight: must be an integer percentage");
        } else {
          parsed.emplace_back(SetWeightStep{body.get<int>()});
        }
      } else if (kind == "pause") {
        PauseStep pause;
        if (body.is_object() && body.contains("duration")) {
          if (auto d = duration(body["duration"], where + ".pause.duration")) pause.duration = *d;
        } else if (!body.is_object() && !body.is_null()) {
          problems_.push_back(where + ".pause: must be an object such as {duration: 30s} or {}");
        }
        parsed.emplace_back(pause);
      } else if (kind == "analysis") {
        AnalysisStep analysis;
        const json names = body.is_object() ? body.value("names", json()) : json();
        if (!names.is_array()) problems_.push_back(where + ".analysis.names: must be a list of analysis names");
        for (const auto& name : names.is_array() ? names : json::array()) {
          if (name.is_string()) {
            analysis.analyses.push_back(name.get<std::string>());
          } else {
            problems_.push_back(where + ".analysis.names: every name must be a string");
          }
        }
        parsed.emplace_back(std::move(analysis));
      } else if (kind == "test") {
        const json name = body.is_object() ? body.value("name", json()) : json();
        if (!name.is_string()) problems_.push_back(where + ".test.name: must be a string");
        parsed.emplace_back(TestStep{name.is_string() ? name.get<std::string>() : std::string()});
      } else {
        problems_.push_back(where + ": unknown step " + kind + " (setWeight, pause, analysis, test)");
      }
    }
    return parsed;
  }

  std::vector<AnalysisDefinition> analyses(const json& value) {
    std::vector<AnalysisDefinition> parsed;
    if (!value.is_array()) {
      problems_.emplace_back("analyses: must be a list");
      return parsed;
    }
    for (std::size_t i = 0; i < value.size(); ++i) {
      const std::string where = "analyses[" + std::to_string(i) + "]";
      const json& item = value[i];
      if (!item.is_object()) {
        problems_.push_back(where + ": must be an object");
        continue;
      }
      AnalysisDefinition analysis;
      analysis.name = text(item, "name", where);
      choose(item.value("provider", json("prometheus")), where + ".provider",
             {{"prometheus", AnalysisDefinition::Provider::kPrometheus},
              {"http", AnalysisDefinition::Provider::kHttp}},
             analysis.provider);
      if (const json prometheus = item.value("prometheus", json()); prometheus.is_object()) {
        analysis.address = text(prometheus, "address", where + ".prometheus");
        analysis.query = text(prometheus, "query", where + ".prometheus");
        analysis.sample_query = text(prometheus, "sampleQuery", where + ".prometheus");
        access(prometheus, where + ".prometheus", analysis);
      }
      if (const json http = item.value("http", json()); http.is_object()) {
        analysis.url = text(http, "url", where + ".http");
        analysis.retries = integer(http, "retries", analysis.retries, where + ".http");
        access(http, where + ".http", analysis);
      }
      if (const json condition = item.value("successCondition", json()); condition.is_object()) {
        if (condition.contains("max")) analysis.max = number(condition["max"], where + ".successCondition.max");
        if (condition.contains("min")) analysis.min = number(condition["min"], where + ".successCondition.min");
      }
      if (item.contains("interval"))
        if (auto d = duration(item["interval"], where + ".interval")) analysis.interval = *d;
      analysis.count = integer(item, "count", analysis.count, where);
      analysis.failure_limit = integer(item, "failureLimit", analysis.failure_limit, where);
      analysis.minimum_sample = integer(item, "minimumSample", analysis.minimum_sample, where);
      analysis.inconclusive_limit = integer(item, "inconclusiveLimit", analysis.inconclusive_limit, where);
      choose(item.value("noData", json("inconclusive")), where + ".noData",
             {{"inconclusive", AnalysisDefinition::NoData::kInconclusive},
              {"fail", AnalysisDefinition::NoData::kFail}},
             analysis.no_data);
      parsed.push_back(std::move(analysis));
    }
    return parsed;
  }

  // The fields both providers share: how long a request may take and how the
  // server is reached.
  void access(const json& section, const std::string& where, AnalysisDefinition& analysis) {
    if (section.contains("timeout"))
      if (auto d = duration(section["timeout"], where + ".timeout")) analysis.timeout = *d;
    analysis.bearer_token_file = text(section, "bearerTokenFile", where);
    analysis.ca_file = text(section, "caFile", where);
    for (const auto& [key, flag] : {std::pair{"insecureSkipVerify", &analysis.insecure_skip_verify},
                                    std::pair{"allowInsecureToken", &analysis.allow_insecure_token}}) {
      const auto found = section.find(key);
      if (found == section.end()) continue;
      if (found->is_boolean()) {
        *flag = found->get<bool>();
      } else {
        problems_.push_back(where + "." + key + ": must be true or false");
      }
    }
  }

  PodHealthPolicy pod_health(const json& value) {
    PodHealthPolicy parsed;
    if (!value.is_object()) {
      problems_.emplace_back("podHealth: must be an object");
      return parsed;
    }
    for (const auto& [key, field] : value.items()) {
      if (key == "readyDeadline") {
        if (auto d = duration(field, "podHealth.readyDeadline")) parsed.ready_deadline = *d;
      } else if (key != "maxRestarts" && key != "maxReadinessFlaps") {
        problems_.push_back("podHealth." + key + ": unknown field");
      }
    }
    parsed.max_restarts = integer(value, "maxRestarts", parsed.max_restarts, "podHealth");
    parsed.max_readiness_flaps = integer(value, "maxReadinessFlaps", parsed.max_readiness_flaps, "podHealth");
    return parsed;
  }

  std::vector<TestDefinition> tests(const json& value) {
    std::vector<TestDefinition> parsed;
    if (!value.is_array()) {
      problems_.emplace_back("tests: must be a list");
      return parsed;
    }
    for (std::size_t i = 0; i < value.size(); ++i) {
      const std::string where = "tests[" + std::to_string(i) + "]";
      const json& item = value[i];
      if (!item.is_object()) {
        problems_.push_back(where + ": must be an object");
        continue;
      }
      TestDefinition test;
      test.name = text(item, "name", where);
      test.job_template = item.value("jobTemplate", json());
      if (!test.job_template.is_object()) problems_.push_back(where + ".jobTemplate: a Job template is required");
      if (item.contains("timeout"))
        if (auto d = duration(item["timeout"], where + ".timeout")) test.timeout = *d;
      parsed.push_back(std::move(test));
    }
    return parsed;
  }

  std::string text(const json& object, const char* key, const std::string& where) {
    const auto found = object.find(key);
    if (found == object.end()) return {};
    if (!found->is_string()) {
      problems_.push_back(where + "." + key + ": must be a string");
      return {};
    }
    return found->get<std::string>();
  }

  int integer(const json& object, const char* key, int fallback, const std::string& where) {
    const auto found = object.find(key);
    if (found == object.end()) return fallback;
    if (!found->is_number_integer()) {
      problems_.push_back(where + "." + key + ": must be an integer");
      return fallback;
    }
    return found->get<int>();
  }

  std::optional<double> number(const json& value, const std::string& where) {
    if (value.is_number()) return value.get<double>();
    problems_.push_back(where + ": must be a number");
    return std::nullopt;
  }

  std::optional<std::chrono::milliseconds> duration(const json& value, const std::string& where) {
    const auto parsed = value.is_string() ? common::parse_duration(value.get<std::string>()) : std::nullopt;
    if (!parsed) {
      problems_.push_back(where + ": must be a duration such as 30s or 5m");
      return std::nullopt;
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(*parsed);
  }

  template <typename Enum>
  void choose(const json& value, const std::string& where, const std::map<std::string, Enum>& choices,
              Enum& out) {
    const auto found = value.is_string() ? choices.find(value.get<std::string>()) : choices.end();
    if (found != choices.end()) {
      out = found->second;
      return;
    }
    std::string allowed;
    for (const auto& [name, unused] : choices) allowed += (allowed.empty() ? "" : ", ") + name;
    problems_.push_back(where + ": must be one of " + allowed);
  }

  std::vector<std::string> problems_;
};

}  // namespace

std::variant<CanaryPolicy, std::vector<std::string>> parse_policy(const json& spec) { return Parser().run(spec); }

std::variant<std::vector<Step>, std::vector<std::string>> parse_steps(const json& steps, const CanaryPolicy& base) {
  return Parser().run_steps(steps, base);
}

json policy_to_json(const CanaryPolicy& policy) {
  const auto text = [](std::chrono::milliseconds d) { return common::format_duration(d); };
  json steps = json::array();
  for (const auto& step : policy.steps) {
    if (const auto* set_weight = std::get_if<SetWeightStep>(&step)) {
      steps.push_back({{"setWeight", set_weight->weight}});
    } else if (const auto* pause = std::get_if<PauseStep>(&step)) {
      steps.push_back({{"pause", pause->duration ? json{{"duration", text(*pause->duration)}} : json::object()}});
    } else if (const auto* analysis = std::get_if<AnalysisStep>(&step)) {
      steps.push_back({{"analysis", {{"names", analysis->analyses}}}});
    } else {
      steps.push_back({{"test", {{"name", std::get<TestStep>(step).name}}}});
    }
  }
  json analyses = json::array();
  for (const auto& a : policy.analyses) {
    json item = {{"name", a.name},
                 {"interval", text(a.interval)},
                 {"count", a.count},
                 {"failureLimit", a.failure_limit},
                 {"minimumSample", a.minimum_sample},
                 {"noData", a.no_data == AnalysisDefinition::NoData::kFail ? "fail" : "inconclusive"},
                 {"inconclusiveLimit", a.inconclusive_limit}};
    json section;
    if (a.provider == AnalysisDefinition::Provider::kPrometheus) {
      item["provider"] = "prometheus";
      section = {{"query", a.query}};
      if (!a.sample_query.empty()) section["sampleQuery"] = a.sample_query;
      if (!a.address.empty()) section["address"] = a.address;
    } else {
      item["provider"] = "http";
      section = {{"url", a.url}, {"retries", a.retries}};
    }
    section["timeout"] = text(a.timeout);
    if (!a.bearer_token_file.empty()) section["bearerTokenFile"] = a.bearer_token_file;
    if (!a.ca_file.empty()) section["caFile"] = a.ca_file;
    if (a.insecure_skip_verify) section["insecureSkipVerify"] = true;
    if (a.allow_insecure_token) section["allowInsecureToken"] = true;
    item[a.provider == AnalysisDefinition::Provider::kPrometheus ? "prometheus" : "http"] = std::move(section);
    if (a.max || a.min) item["successCondition"] = json::object();
    if (a.max) item["successCondition"]["max"] = *a.max;
    if (a.min) item["successCondition"]["min"] = *a.min;
    analyses.push_back(std::move(item));
  }
  json tests = json::array();
  for (const auto& t : policy.tests)
    tests.push_back({{"name", t.name}, {"jobTemplate", t.job_template}, {"timeout", text(t.timeout)}});

  static constexpr const char* kInjection[] = {"always", "never", "whenNoProbe"};
  return {{"steps", steps},
          {"analyses", analyses},
          {"tests", tests},
          {"trafficBackend", std::string(to_string(policy.traffic_backend))},
          {"canaryReplicas", {{"mode", policy.canary_replicas == CanaryReplicas::kWeight ? "weight" : "matchStable"}}},
          {"abortScaleDownDelay", text(policy.abort_scale_down_delay)},
          {"podHealth",
           {{"readyDeadline", text(policy.pod_health.ready_deadline)},
            {"maxRestarts", policy.pod_health.max_restarts},
            {"maxReadinessFlaps", policy.pod_health.max_readiness_flaps}}},
          {"rolloutRestart", policy.restart_handling == RestartHandling::kCanary ? "canary" : "rollout"},
          {"recreateDeployments", policy.recreate_handling == RecreateHandling::kCanary ? "canary" : "rollout"},
          {"shimInjection", kInjection[static_cast<int>(policy.shim_injection)]}};
}

}  // namespace autocanary::policy

#include "webhook/policy/policy_parser.h"

#include <map>

#include "webhook/support/duration.h"

namespace autocanary::policy {

namespace {

using nlohmann::json;

class Parser {
 public:
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
      } else if (key == "shimInjection") {
        choose(value, key, {{"always", ShimInjection::kAlways}, {"never", ShimInjection::kNever},
                            {"whenNoProbe", ShimInjection::kWhenNoProbe}}, policy.shim_injection);
      } else if (key == "abortScaleDownDelay") {
        if (auto delay = duration(value, key)) policy.abort_scale_down_delay = *delay;
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

  std::optional<std::chrono::milliseconds> duration(const json& value, const std::string& where) {
    const auto parsed = value.is_string() ? support::parse_duration(value.get<std::string>()) : std::nullopt;
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

}  // namespace autocanary::policy

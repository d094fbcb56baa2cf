#include "coordinator/analysis/test_job.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>

#include "common/json_fields.h"
#include "kube/resources.h"
#include "policy/names.h"

namespace autocanary::analysis {

namespace {

using nlohmann::json;
using Kind = Measurement::Kind;

constexpr std::size_t kNameLimit = 63;

using kube::jobs;

// FNV-1a: stable across builds, unlike std::hash.
std::string short_hash(std::string_view text) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(hash));
  return std::string(buffer, 8);
}

const json* object_at(const json& object, const char* key) {
  const auto found = object.find(key);
  return found != object.end() && found->is_object() ? &*found : nullptr;
}

std::string logs_hint(const json& job) {
  return "logs: kubectl logs -n " + common::metadata_string(job, "namespace") + " job/" +
         common::metadata_string(job, "name");
}

}  // namespace

std::string test_job_name(const AnalysisContext& context) {
  std::string name = context.deployment + "-" + context.analysis + "-" + context.revision + "-" +
                     std::to_string(context.step_index);
  if (name.size() <= kNameLimit) return name;
  const std::string suffix = "-" + short_hash(name);
  name.resize(kNameLimit - suffix.size());
  while (!name.empty() && name.back() == '-') name.pop_back();
  return name + suffix;
}

json build_test_job(const policy::TestDefinition& test, const AnalysisContext& context) {
  const json& job_template = test.job_template;
  json metadata = json::object();
  if (const json* given = object_at(job_template, "metadata")) {
    for (const char* key : {"labels", "annotations"})
      if (const json* map = object_at(*given, key)) metadata[key] = *map;
  }
  metadata["name"] = test_job_name(context);
  metadata["namespace"] = context.namespace_name;
  metadata["labels"][std::string(names::kCanaryOfLabel)] = context.deployment;
  metadata["labels"][std::string(names::kCanaryRevisionLabel)] = context.revision;
  metadata["labels"]["autocanary.io/test"] = context.analysis;
  metadata["ownerReferences"] = json::array({{{"apiVersion", "apps/v1"},
                                              {"kind", "Deployment"},
                                              {"name", context.deployment},
                                              {"uid", context.deployment_uid}}});

  json spec = json::object();
  if (const json* given = object_at(job_template, "spec")) spec = *given;
  const json::json_pointer containers_path("/template/spec/containers");
  if (spec.contains(containers_path) && spec.at(containers_path).is_array()) {
    const std::pair<const char*, const std::string*> variables[] = {
        {"AUTOCANARY_NAMESPACE", &context.namespace_name}, {"AUTOCANARY_DEPLOYMENT", &context.deployment},
        {"AUTOCANARY_CANARY", &context.canary_deployment},  {"AUTOCANARY_REVISION", &context.revision},
        {"AUTOCANARY_STABLE_REVISION", &context.stable_revision}};
    for (json& container : spec.at(containers_path)) {
      if (!container.is_object()) continue;
      json& env = container["env"];
      if (!env.is_array()) env = json::array();
      for (const auto& [name, value] : variables) {
        // Copied into the lambda: clang before 16 cannot capture a structured binding.
        const bool set = std::any_of(env.begin(), env.end(), [variable = name](const json& entry) {
          return entry.is_object() && common::string_field(&entry, "name") == variable;
        });
        if (!set) env.push_back({{"name", name}, {"value", *value}});
      }
    }
  }
  return {{"apiVersion", "batch/v1"}, {"kind", "Job"}, {"metadata", std::move(metadata)}, {"spec", std::move(spec)}};
}

Measurement read_test_job(const json& job) {
  const std::string name = common::metadata_string(job, "name");
  const json::json_pointer conditions_path("/status/conditions");
  if (job.contains(conditions_path) && job.at(conditions_path).is_array()) {
    for (const json& condition : job.at(conditions_path)) {
      if (!condition.is_object() || common::string_field(&condition, "status") != "True") continue;
      const std::string type = common::string_field(&condition, "type");
      if (type == "Complete") return {Kind::kPassed, 0, "Job " + name + " completed; " + logs_hint(job), name};
      if (type == "Failed") {
        const std::string reason = common::string_field(&condition, "reason");
        const std::string message = common::string_field(&condition, "message");
        return {Kind::kFailed, 0,
                "Job " + name + " failed" + (reason.empty() ? "" : " (" + reason + ")") +
                    (message.empty() ? "" : ": " + message) + "; " + logs_hint(job),
                name};
      }
    }
  }
  return {Kind::kRunning, 0, "Job " + name + " is running; " + logs_hint(job), name};
}

std::string job_service_account(const json& job) {
  const json* pod_spec = common::at(job, "/spec/template/spec");
  for (const char* field : {"serviceAccountName", "serviceAccount"}) {
    const std::string name = common::string_field(pod_spec, field);
    if (!name.empty()) return name;
  }
  return "default";
}

std::vector<std::string> allowed_test_service_accounts(const json& namespace_object) {
  const auto listed = common::annotation(namespace_object, names::kTestServiceAccountsAnnotation);
  if (!listed) return {"default"};
  std::vector<std::string> accounts;
  // A plain loop: clang 14 (the fuzz build) cannot compile views::split over libstdc++ 12.
  std::string_view rest = *listed;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    std::string_view name = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (!name.empty()) accounts.emplace_back(name);
  }
  return accounts;
}

std::optional<std::string> test_job_refusal(const json& job, const std::string& ns,
                                            const policy::ServedNamespaces& served) {
  const json namespace_object = served.listed(ns);
  if (auto why = policy::why_namespace_is_not_served(ns, namespace_object, served.own_namespace))
    return "no test Job is created where autocanary does not serve: " + *why;
  // The pod runs as serviceAccountName; the older serviceAccount, if also set, must be allowed too.
  std::vector<std::string> accounts = {job_service_account(job)};
  if (auto older = common::string_field(common::at(job, "/spec/template/spec"), "serviceAccount"); !older.empty())
    accounts.push_back(std::move(older));
  const auto allowed = allowed_test_service_accounts(namespace_object);
  for (const auto& account : accounts) {
    if (std::ranges::find(allowed, account) != allowed.end()) continue;
    std::string listed;
    for (const auto& name : allowed) listed += (listed.empty() ? "" : ", ") + name;
    return "the test's Job would run as service account \"" + account + "\", which namespace \"" + ns +
           "\" does not allow for tests (" + std::string(names::kTestServiceAccountsAnnotation) + ": " +
           (listed.empty() ? "none" : listed) + ")";
  }
  return std::nullopt;
}

std::string job_seal_message(std::string_view ns, std::string_view name, std::string_view uid) {
  return "job:" + std::string(ns) + "/" + std::string(name) + "/" + std::string(uid);
}

TestJobProvider::TestJobProvider(kube::KubeClient& client, policy::TestDefinition definition, Signer sign,
                                 policy::ServedNamespaces served)
    : client_(client), definition_(std::move(definition)), sign_(std::move(sign)), served_(std::move(served)) {}

bool TestJobProvider::sealed(const json& job) const {
  const auto seal = common::annotation(job, names::kSealAnnotation);
  return seal && *seal == sign_(job_seal_message(common::metadata_string(job, "namespace"),
                                                 common::metadata_string(job, "name"),
                                                 common::metadata_string(job, "uid")));
}

Measurement TestJobProvider::measure(const AnalysisContext& context, std::stop_token /*stop*/) {
  const std::string name = test_job_name(context);
  auto existing = client_.get(jobs(context.namespace_name, name));
  if (existing) {
    if (!sealed(*existing))
      return {Kind::kError, 0,
              "a Job named " + name + " exists that autocanary did not create for this test (it has no valid " +
                  std::string(names::kSealAnnotation) + "); it is not trusted: delete it and the test runs",
              name};
    return read_test_job(*existing);
  }
  if (!existing.error().is_not_found())
    return {Kind::kError, 0, "cannot read test Job " + name + ": " + existing.error().describe(), name};
  const json job = build_test_job(definition_, context);
  // The test's verdict, not an error to wait out: the policy asks for what the namespace does not allow.
  if (auto refusal = test_job_refusal(job, context.namespace_name, served_)) return {Kind::kFailed, 0, *refusal, ""};
  auto created = client_.create(jobs(context.namespace_name), job);
  if (!created) {
    if (created.error().is_already_exists()) return {Kind::kRunning, 0, "Job " + name + " is running", name};
    return {Kind::kError, 0, "cannot create test Job " + name + ": " + created.error().describe(), name};
  }
  const json seal = {{"metadata",
                      {{"annotations",
                        {{std::string(names::kSealAnnotation),
                          sign_(job_seal_message(context.namespace_name, name,
                                                 common::metadata_string(*created, "uid")))}}}}}};
  auto patched = client_.patch(jobs(context.namespace_name, name), seal,
                               kube::PatchOptions{kube::PatchType::kMerge, "", false});
  if (!patched) return {Kind::kError, 0, "cannot seal test Job " + name + ": " + patched.error().describe(), name};
  return read_test_job(*created);
}

}  // namespace autocanary::analysis

#include "cli/render.h"

#include <algorithm>
#include <cctype>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "common/json_fields.h"

namespace autocanary::cli {

namespace {

using nlohmann::json;

constexpr const char* kReset = "\033[0m";
constexpr const char* kRed = "\033[31m";
constexpr const char* kGreen = "\033[32m";
constexpr const char* kYellow = "\033[33m";
constexpr const char* kBlue = "\033[34m";
constexpr const char* kDim = "\033[2m";
constexpr const char* kBold = "\033[1m";

std::string paint(const std::string& text, const char* colour, const Style& style) {
  if (!style.terminal || text.empty()) return text;
  return colour + text + kReset;
}

const char* phase_colour(const std::string& phase) {
  if (phase == "Succeeded") return kGreen;
  if (phase == "Failed" || phase == "Aborting") return kRed;
  if (phase == "Paused" || phase == "WaitingForApproval") return kYellow;
  if (phase == "Cancelled") return kDim;
  return kBlue;
}

// Tree drawing: a node's prefix, and the prefix its children continue with.
struct Branch {
  const char* middle;
  const char* last;
  const char* through;
  const char* after_last;
};
Branch branch(const Style& style) {
  if (style.terminal) return {"├── ", "└── ", "│   ", "    "};
  return {"|-- ", "`-- ", "|   ", "    "};
}

std::string short_revision(const std::string& revision) { return revision.empty() ? "-" : revision; }

std::string join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i == 0 ? "" : separator) + parts[i];
  return out;
}

void workload_lines(std::ostringstream& out, const std::string& role, const WorkloadView& workload,
                    const std::string& revision, const Style& style) {
  const Branch b = branch(style);
  out << paint("Deployment", kBold, style) << " " << workload.deployment << "  (" << role << ", revision "
      << short_revision(revision) << ")\n";
  if (workload.replica_set.empty()) {
    out << b.last << "no ReplicaSet yet\n";
    return;
  }
  out << b.last << "ReplicaSet " << workload.replica_set << "  " << workload.ready << "/" << workload.desired
      << " ready\n";
  for (std::size_t i = 0; i < workload.pods.size(); ++i) {
    const PodView& pod = workload.pods[i];
    const bool last = i + 1 == workload.pods.size();
    const std::string readiness = pod.ready ? paint("ready", kGreen, style) : paint("not ready", kRed, style);
    out << b.after_last << (last ? b.last : b.middle) << "Pod " << pod.name << "  " << readiness;
    if (!pod.ready && !pod.phase.empty() && pod.phase != "Running") out << " (" << pod.phase << ")";
    out << "  restarts " << pod.restarts << "\n";
  }
}

std::string weight_text(const std::optional<int>& weight) {
  return weight ? std::to_string(*weight) + "%" : std::string("?");
}

std::string number_text(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

// A string that a YAML 1.1 reader (kubectl's, PyYAML) would take for something
// else — a bool, null, a number, a timestamp — or that has characters YAML
// gives meaning to, is double-quoted; other strings stay plain.
bool needs_quotes(const std::string& text) {
  if (text.empty()) return true;
  static const char* const kWords[] = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"};
  std::string lower;
  for (const char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* word : kWords)
    if (lower == word) return true;
  const unsigned char first = static_cast<unsigned char>(text.front());
  if (!std::isalpha(first) && first != '_' && first != '/') return true;
  for (const char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (!std::isalnum(u) && c != '_' && c != '.' && c != '/' && c != '-' && c != ' ') return true;
  }
  return text.back() == ' ';
}

void emit(YAML::Emitter& out, const json& value) {
  switch (value.type()) {
    case json::value_t::object:
      out << YAML::BeginMap;
      for (const auto& [key, item] : value.items()) {
        out << YAML::Key;
        if (needs_quotes(key)) out << YAML::DoubleQuoted;
        out << key << YAML::Value;
        emit(out, item);
      }
      out << YAML::EndMap;
      return;
    case json::value_t::array:
      out << YAML::BeginSeq;
      for (const auto& item : value) emit(out, item);
      out << YAML::EndSeq;
      return;
    case json::value_t::string: {
      const auto& text = value.get_ref<const std::string&>();
      if (needs_quotes(text)) out << YAML::DoubleQuoted;
      out << text;
      return;
    }
    case json::value_t::boolean:
      out << (value.get<bool>() ? "true" : "false");
      return;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      out << value.dump();
      return;
    default:
      out << YAML::Null;
      return;
  }
}

}  // namespace

std::string format_age(std::chrono::seconds age) {
  const long long s = std::max<long long>(0, age.count());
  if (s < 120) return std::to_string(s) + "s";
  const long long m = s / 60;
  if (m < 10) return std::to_string(m) + "m" + (s % 60 ? std::to_string(s % 60) + "s" : "");
  const long long h = s / 3600;
  if (h < 3) return std::to_string(m) + "m";
  if (h < 8) return std::to_string(h) + "h" + (m % 60 ? std::to_string(m % 60) + "m" : "");
  if (h < 48) return std::to_string(h) + "h";
  const long long d = h / 24;
  if (d < 8) return std::to_string(d) + "d" + (h % 24 ? std::to_string(h % 24) + "h" : "");
  return std::to_string(d) + "d";
}

std::string step_marker(StepState state, const Style& style) {
  if (style.terminal) {
    switch (state) {
      case StepState::kDone: return paint("✔", kGreen, style);
      case StepState::kRunning: return paint("●", kBlue, style);
      case StepState::kFailed: return paint("✖", kRed, style);
      case StepState::kWaiting: return paint("॥", kYellow, style);
      case StepState::kSkipped: return paint("-", kDim, style);
      case StepState::kPending: return " ";
    }
  }
  switch (state) {
    case StepState::kDone: return "[done]";
    case StepState::kRunning: return "[run] ";
    case StepState::kFailed: return "[fail]";
    case StepState::kWaiting: return "[wait]";
    case StepState::kSkipped: return "[skip]";
    case StepState::kPending: return "[    ]";
  }
  return "";
}

ListRow list_row(const json& canary, Clock::time_point now) {
  const json* status = common::child(&canary, "status");
  ListRow row;
  row.namespace_name = common::metadata_string(canary, "namespace");
  row.name = common::metadata_string(canary, "name");
  row.phase = common::string_field(status, "phase");
  if (row.phase.empty()) row.phase = "-";
  const auto total = common::array_field(common::at(canary, "/status/policy/spec"), "steps").size();
  const std::string description = common::string_field(status, "stepDescription");
  int step = common::int_field(status, "currentStep") + 1;
  if (total > 0 && step > static_cast<int>(total)) step = static_cast<int>(total);  // past the last: done
  row.step = std::to_string(step) + "/" +
             (total > 0 ? std::to_string(total) : std::string("?")) + (description.empty() ? "" : " " + description);
  row.asked_weight = common::int_field(status, "canaryWeight");
  row.actual_weight = common::int_field(status, "actualWeight");
  row.router = common::string_at(canary, "/status/routing/router");
  if (row.router.empty()) row.router = "-";
  row.revision = short_revision(common::string_field(status, "revision"));
  const auto age = seconds_since(common::metadata_string(canary, "creationTimestamp"), now);
  row.age = age ? format_age(*age) : "-";
  return row;
}

std::string render_table(const std::vector<ListRow>& rows, bool all_namespaces) {
  std::vector<std::vector<std::string>> cells;
  std::vector<std::string> header = {"NAME", "PHASE", "STEP", "WEIGHT", "ACTUAL", "ROUTER", "REVISION", "AGE"};
  if (all_namespaces) header.insert(header.begin(), "NAMESPACE");
  cells.push_back(header);
  for (const auto& row : rows) {
    std::vector<std::string> line = {row.name,
                                     row.phase,
                                     row.step,
                                     std::to_string(row.asked_weight) + "%",
                                     std::to_string(row.actual_weight) + "%",
                                     row.router,
                                     row.revision,
                                     row.age};
    if (all_namespaces) line.insert(line.begin(), row.namespace_name);
    cells.push_back(std::move(line));
  }
  std::vector<std::size_t> widths(header.size(), 0);
  for (const auto& line : cells)
    for (std::size_t i = 0; i < line.size(); ++i) widths[i] = std::max(widths[i], line[i].size());
  std::string out;
  for (const auto& line : cells) {
    std::string text;
    for (std::size_t i = 0; i < line.size(); ++i) {
      text += line[i];
      if (i + 1 < line.size()) text += std::string(widths[i] - line[i].size() + 3, ' ');
    }
    out += text + "\n";
  }
  return out;
}

std::string render_tree(const CanaryView& view, const Style& style) {
  std::ostringstream out;
  const Branch b = branch(style);
  out << paint("Canary", kBold, style) << " " << view.namespace_name << "/" << view.name << "\n";
  out << "  Phase:     " << paint(view.phase.empty() ? "-" : view.phase, phase_colour(view.phase), style);
  if (view.paused_by_user) out << " (spec.paused)";
  out << "\n";
  if (!view.message.empty()) out << "  Message:   " << view.message << "\n";
  const std::size_t total = view.steps.size();
  const std::size_t shown_step = std::min(static_cast<std::size_t>(std::max(view.current_step, 0)) + 1,
                                          total > 0 ? total : std::size_t{1} << 30);
  out << "  Step:      " << shown_step << "/" << (total > 0 ? std::to_string(total) : "?");
  if (!view.step_description.empty()) out << " " << view.step_description;
  out << "\n";
  out << "  Weight:    asked " << view.asked_weight << "%, actual " << view.actual_weight << "%\n";
  out << "  Router:    " << (view.routing.router.empty() ? "-" : view.routing.router) << "\n";
  out << "  Revision:  " << short_revision(view.revision) << " (stable " << short_revision(view.stable_revision)
      << ")\n";
  out << "  Images:    stable " << (view.stable.images.empty() ? "-" : join(view.stable.images, ", ")) << "\n";
  out << "             canary "
      << (view.canary.images.empty() ? "- (no canary workload)" : join(view.canary.images, ", ")) << "\n";
  out << "\n";

  if (view.stable.deployment.empty())
    out << paint("Deployment", kBold, style) << " " << view.name << "  (not found)\n";
  else
    workload_lines(out, "stable", view.stable, view.stable.revision.empty() ? view.stable_revision : view.stable.revision,
                   style);
  if (view.canary.deployment.empty())
    out << paint("Canary workload", kBold, style) << "  none\n";
  else
    workload_lines(out, "canary", view.canary, view.canary.revision.empty() ? view.revision : view.canary.revision,
                   style);

  out << paint("Routing", kBold, style) << " " << (view.routing.router.empty() ? "-" : view.routing.router);
  if (!view.routing.object.empty()) out << "  " << view.routing.object;
  out << "\n";
  out << b.last << "holds stable " << weight_text(view.routing.stable_weight) << ", canary "
      << weight_text(view.routing.canary_weight);
  if (!view.routing.note.empty()) out << "  (" << view.routing.note << ")";
  out << "\n";

  out << paint("Steps", kBold, style) << "\n";
  std::size_t width = 0;
  for (const auto& step : view.steps) width = std::max(width, step.description.size());
  for (std::size_t i = 0; i < view.steps.size(); ++i) {
    const StepView& step = view.steps[i];
    const bool last = i + 1 == view.steps.size();
    std::string line = std::string(last ? b.last : b.middle) + step_marker(step.state, style) + " " +
                       std::to_string(step.index + 1) + ". " + step.description;
    if (step.duration) line += std::string(width - step.description.size() + 2, ' ') + format_age(*step.duration);
    if (!step.message.empty() && step.state == StepState::kFailed) line += "  " + step.message;
    out << line << "\n";
  }

  if (!view.analyses.empty()) {
    out << paint("Analyses", kBold, style) << "\n";
    for (std::size_t i = 0; i < view.analyses.size(); ++i) {
      const AnalysisView& analysis = view.analyses[i];
      const bool last = i + 1 == view.analyses.size();
      out << (last ? b.last : b.middle) << analysis.name << "  passed " << analysis.passed << ", failed "
          << analysis.failed << ", inconclusive " << analysis.inconclusive;
      out << "; last " << (analysis.last_value ? number_text(*analysis.last_value) : std::string("-"));
      if (!analysis.threshold.empty()) out << " (wants " << analysis.threshold << ")";
      out << "\n";
      if (!analysis.last_message.empty())
        out << (last ? b.after_last : b.through) << b.last << analysis.last_message << "\n";
    }
  }
  return out.str();
}

std::string to_yaml(const json& object) {
  YAML::Emitter emitter;
  emit(emitter, object);
  return std::string(emitter.c_str()) + "\n";
}

}  // namespace autocanary::cli

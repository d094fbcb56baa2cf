// Text the plugin prints, as pure functions of what was read: the `list`
// table, the `get` tree, durations and ages. On a terminal the tree has colours
// and symbols (✔ ● ✖ ॥); piped, it is plain ASCII whose layout never changes,
// so scripts and golden files can rely on it.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/canary_view.h"

namespace autocanary::cli {

struct Style {
  bool terminal = false;  // colours and symbols
};

// kubectl's way: 45s, 3m12s, 42m, 5h3m, 3d4h, 400d.
[[nodiscard]] std::string format_age(std::chrono::seconds age);

// The step marker: ✔ ● ✖ ॥ (terminal), or [done] [run] [fail] [wait] (plain).
[[nodiscard]] std::string step_marker(StepState state, const Style& style);

// One row of `list`.
struct ListRow {
  std::string namespace_name;
  std::string name;
  std::string phase;
  std::string step;  // "2/3 pause until approved"
  int asked_weight = 0;
  int actual_weight = 0;
  std::string router;
  std::string revision;
  std::string age;
};
[[nodiscard]] ListRow list_row(const nlohmann::json& canary, Clock::time_point now);
// Columns padded to their widest cell; NAMESPACE first when `all_namespaces`.
[[nodiscard]] std::string render_table(const std::vector<ListRow>& rows, bool all_namespaces);

[[nodiscard]] std::string render_tree(const CanaryView& view, const Style& style);

// `-o yaml`: the object as YAML (block style, keys in the object's order).
[[nodiscard]] std::string to_yaml(const nlohmann::json& object);

}  // namespace autocanary::cli

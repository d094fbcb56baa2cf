#include "webhook/decision/template_merge.h"

#include <algorithm>
#include <string>

namespace autocanary::decision {

namespace {

using nlohmann::json;

bool is_named_list(const json& value) {
  return value.is_array() && std::all_of(value.begin(), value.end(), [](const json& item) {
           return item.is_object() && item.contains("name") && item["name"].is_string();
         });
}

const json* find_named(const json& list, const std::string& name) {
  for (const json& item : list)
    if (item["name"] == name) return &item;
  return nullptr;
}

// An absent field or item is a discarded json, distinct from a JSON null (a
// template's `creationTimestamp: null` is a value): "removed" merges as a value.
const json kAbsent(json::value_t::discarded);

bool absent(const json& value) { return value.is_discarded(); }

json merge_value(const json& base, const json& ours, const json& theirs);

json merge_objects(const json& base, const json& ours, const json& theirs) {
  json result = json::object();
  auto field = [](const json& object, const std::string& key) {
    return object.is_object() && object.contains(key) ? object[key] : kAbsent;
  };
  // Ours' keys first, then keys only theirs has: order does not matter to
  // JSON objects, but a stable walk keeps the merge easy to follow.
  for (const auto& [key, value] : ours.items()) {
    json merged = merge_value(field(base, key), value, field(theirs, key));
    if (!absent(merged)) result[key] = std::move(merged);
  }
  for (const auto& [key, value] : theirs.items()) {
    if (ours.contains(key)) continue;
    json merged = merge_value(field(base, key), kAbsent, value);
    if (!absent(merged)) result[key] = std::move(merged);
  }
  return result;
}

json merge_named_lists(const json& base, const json& ours, const json& theirs) {
  json result = json::array();
  auto item_of = [](const json& list, const std::string& name) {
    const json* found = list.is_array() ? find_named(list, name) : nullptr;
    return found != nullptr ? *found : kAbsent;
  };
  for (const json& item : ours) {
    const std::string name = item["name"];
    json merged = merge_value(item_of(base, name), item, item_of(theirs, name));
    if (!absent(merged)) result.push_back(std::move(merged));
  }
  for (const json& item : theirs) {
    const std::string name = item["name"];
    if (find_named(ours, name) != nullptr) continue;
    json merged = merge_value(item_of(base, name), kAbsent, item);
    if (!absent(merged)) result.push_back(std::move(merged));
  }
  return result;
}

bool same(const json& a, const json& b) { return absent(a) ? absent(b) : !absent(b) && a == b; }

json merge_value(const json& base, const json& ours, const json& theirs) {
  if (same(theirs, base)) return ours;  // not touched by the change
  if (same(ours, base)) return theirs;  // only the change touched it
  if (ours.is_object() && theirs.is_object() && (base.is_object() || absent(base)))
    return merge_objects(absent(base) ? json::object() : base, ours, theirs);
  if (is_named_list(ours) && is_named_list(theirs) && (absent(base) || is_named_list(base)))
    return merge_named_lists(absent(base) ? json::array() : base, ours, theirs);
  return theirs;  // both changed a value: the latest request wins
}

}  // namespace

json merge_change(const json& base, const json& ours, const json& theirs) { return merge_value(base, ours, theirs); }

}  // namespace autocanary::decision

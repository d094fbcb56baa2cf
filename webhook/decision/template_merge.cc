#include "webhook/decision/template_merge.h"

#include <algorithm>
#include <string>
#include <unordered_map>

namespace autocanary::decision {

namespace {

using nlohmann::json;

bool is_named_list(const json& value) {
  return value.is_array() && std::all_of(value.begin(), value.end(), [](const json& item) {
           return item.is_object() && item.contains("name") && item["name"].is_string();
         });
}

// Items of a named list by name: lookups stay linear overall, whatever the
// size of a hostile list (the body is bounded, not the item count).
std::unordered_map<std::string, const json*> by_name(const json& list) {
  std::unordered_map<std::string, const json*> items;
  if (list.is_array())
    for (const json& item : list) items.emplace(item["name"].get<std::string>(), &item);
  return items;
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
  const auto base_items = by_name(base);
  const auto our_items = by_name(ours);
  const auto their_items = by_name(theirs);
  auto item_of = [](const std::unordered_map<std::string, const json*>& items, const std::string& name) {
    const auto found = items.find(name);
    return found != items.end() ? *found->second : kAbsent;
  };
  json result = json::array();
  for (const json& item : ours) {
    const std::string& name = item["name"].get_ref<const std::string&>();
    json merged = merge_value(item_of(base_items, name), item, item_of(their_items, name));
    if (!absent(merged)) result.push_back(std::move(merged));
  }
  for (const json& item : theirs) {
    const std::string& name = item["name"].get_ref<const std::string&>();
    if (our_items.contains(name)) continue;
    json merged = merge_value(item_of(base_items, name), kAbsent, item);
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

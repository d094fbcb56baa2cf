// Heap taken by Kubernetes objects held as nlohmann::json, the way the
// coordinator's informers hold them, and by lighter forms of the same objects.
// Reads the body of a list answer (e.g. GET /apis/apps/v1/deployments) and
// prints, per form, the heap in use (glibc mallinfo2) and the bytes per object.
//
//   g++ -O2 -std=c++20 bench/json_footprint.cc -o json_footprint
//   ./json_footprint LIST.json
//
// Built on its own by bench/coordinator_memory.sh; not part of the product.
#include <malloc.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

using nlohmann::json;

std::size_t heap_in_use() { return mallinfo2().uordblks; }

json without(json object, const std::vector<json::json_pointer>& paths) {
  for (const auto& path : paths) {
    if (!object.contains(path)) continue;
    json& parent = object.at(path.parent_pointer());
    parent.erase(path.back());
  }
  return object;
}

// Only what the coordinator's informer handlers read: the key, the
// resourceVersion the watch resumes from, and the labels naming an owner.
json key_fields(const json& object) {
  const json& metadata = object.at("metadata");
  json kept = {{"metadata",
                {{"name", metadata.value("name", "")},
                 {"namespace", metadata.value("namespace", "")},
                 {"resourceVersion", metadata.value("resourceVersion", "")}}}};
  if (metadata.contains("labels")) kept["metadata"]["labels"] = metadata.at("labels");
  return kept;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s LIST.json\n", argv[0]);
    return 2;
  }
  std::ifstream file(argv[1]);
  if (!file) {
    std::fprintf(stderr, "cannot read %s\n", argv[1]);
    return 1;
  }
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  std::vector<json> items;
  {
    json list = json::parse(text);
    for (auto& item : list.at("items")) items.push_back(std::move(item));
  }
  if (items.empty()) {
    std::fprintf(stderr, "%s holds no items\n", argv[1]);
    return 1;
  }

  const json::json_pointer managed_fields{"/metadata/managedFields"};
  const json::json_pointer last_applied{"/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration"};
  const std::vector<std::pair<const char*, std::function<json(const json&)>>> forms = {
      {"full object (as cached today)", [](const json& o) { return o; }},
      {"without managedFields", [&](const json& o) { return without(o, {managed_fields}); }},
      {"without managedFields and last-applied", [&](const json& o) {
         return without(o, {managed_fields, last_applied});
       }},
      {"metadata only, without managedFields", [&](const json& o) {
         return json{{"metadata", without(o, {managed_fields}).at("metadata")}};
       }},
      {"name, namespace, resourceVersion, labels", [](const json& o) { return key_fields(o); }},
  };

  std::size_t text_bytes = 0;
  for (const auto& item : items) text_bytes += item.dump().size();
  std::printf("%zu objects, %zu bytes of compact JSON (%.0f per object)\n", items.size(), text_bytes,
              static_cast<double>(text_bytes) / static_cast<double>(items.size()));
  std::printf("%-42s %10s %12s %8s\n", "form held in memory", "heap MiB", "per object", "x JSON");
  for (const auto& [name, make] : forms) {
    std::vector<json> copies;
    copies.reserve(items.size());
    malloc_trim(0);
    const std::size_t before = heap_in_use();
    for (const auto& item : items) copies.push_back(make(item));
    const std::size_t used = heap_in_use() - before;
    std::printf("%-42s %10.2f %12.0f %8.1f\n", name, static_cast<double>(used) / (1024.0 * 1024.0),
                static_cast<double>(used) / static_cast<double>(items.size()),
                static_cast<double>(used) / static_cast<double>(text_bytes));
  }
  return 0;
}

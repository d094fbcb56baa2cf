#include "tests/coordinator/traffic/memory_kube_client.h"

#include <sstream>

namespace autocanary::testing {

namespace {

using nlohmann::json;

std::string key(const std::string& resource, const std::string& ns, const std::string& name) {
  return resource + "/" + ns + "/" + name;
}

kube::KubeError not_found(const std::string& what) { return kube::KubeError{404, "NotFound", what + " not found", false}; }

bool matches(const json& object, const std::string& selector) {
  std::stringstream terms(selector);
  std::string term;
  while (std::getline(terms, term, ',')) {
    if (term.empty()) continue;
    const auto equals = term.find('=');
    const std::string label = term.substr(0, equals);
    const std::string value = equals == std::string::npos ? "" : term.substr(equals + 1);
    const json* labels = object.contains("metadata") && object["metadata"].contains("labels")
                             ? &object["metadata"]["labels"]
                             : nullptr;
    if (labels == nullptr || !labels->contains(label) || (*labels)[label] != value) return false;
  }
  return true;
}

}  // namespace

void MemoryKubeClient::put(const std::string& resource, json object) {
  object["metadata"]["resourceVersion"] = std::to_string(++version_);
  const std::string at = key(resource, object["metadata"].value("namespace", ""), object["metadata"]["name"]);
  objects[at] = std::move(object);
}

const json* MemoryKubeClient::find(const std::string& resource, const std::string& ns, const std::string& name) const {
  const auto found = objects.find(key(resource, ns, name));
  return found == objects.end() ? nullptr : &found->second;
}

kube::Result<json> MemoryKubeClient::get(const kube::ResourceRef& ref) {
  reads.push_back("get " + ref.resource + "/" + ref.name);
  calls.push_back(reads.back());
  if (const json* object = find(ref.resource, ref.namespace_name, ref.name)) return *object;
  return not_found(ref.resource + "/" + ref.name);
}

kube::Result<kube::ObjectList> MemoryKubeClient::list(const kube::ResourceRef& collection,
                                                       const kube::ListOptions& options) {
  reads.push_back("list " + collection.resource);
  calls.push_back(reads.back());
  kube::ObjectList listed;
  const std::string prefix = collection.resource + "/" + collection.namespace_name + "/";
  for (const auto& [name, object] : objects)
    if (name.starts_with(prefix) && matches(object, options.label_selector)) listed.items.push_back(object);
  return listed;
}

kube::Result<json> MemoryKubeClient::create(const kube::ResourceRef& ref, const json& object) {
  const std::string name = object["metadata"]["name"];
  if (find(ref.resource, ref.namespace_name, name) != nullptr)
    return kube::KubeError{409, "AlreadyExists", name + " already exists", false};
  writes.push_back("create " + ref.resource + "/" + name);
  calls.push_back(writes.back());
  json stored = object;
  stored["metadata"]["uid"] = "uid-" + name;
  put(ref.resource, stored);
  return *find(ref.resource, ref.namespace_name, name);
}

kube::Result<json> MemoryKubeClient::update(const kube::ResourceRef& ref, const json& object) {
  const json* live = find(ref.resource, ref.namespace_name, ref.name);
  if (live == nullptr) return not_found(ref.resource + "/" + ref.name);
  if (object["metadata"].contains("resourceVersion") &&
      object["metadata"]["resourceVersion"] != (*live)["metadata"]["resourceVersion"])
    return kube::KubeError{409, "Conflict", "the object has been modified", false};
  writes.push_back("update " + ref.resource + "/" + ref.name);
  calls.push_back(writes.back());
  put(ref.resource, object);
  return *find(ref.resource, ref.namespace_name, ref.name);
}

kube::Result<json> MemoryKubeClient::patch(const kube::ResourceRef& ref, const json& patch,
                                           const kube::PatchOptions& options) {
  const json* live = find(ref.resource, ref.namespace_name, ref.name);
  if (live == nullptr) return not_found(ref.resource + "/" + ref.name);
  writes.push_back("patch " + ref.resource + "/" + ref.name);
  calls.push_back(writes.back());
  json object = *live;
  if (options.type == kube::PatchType::kJson) {
    object = object.patch(patch);
  } else {
    object.merge_patch(patch);
  }
  put(ref.resource, object);
  return *find(ref.resource, ref.namespace_name, ref.name);
}

kube::Result<json> MemoryKubeClient::remove(const kube::ResourceRef& ref, const kube::DeleteOptions&) {
  if (objects.erase(key(ref.resource, ref.namespace_name, ref.name)) == 0)
    return not_found(ref.resource + "/" + ref.name);
  writes.push_back("delete " + ref.resource + "/" + ref.name);
  calls.push_back(writes.back());
  return json::object();
}

kube::Result<json> MemoryKubeClient::discover(const std::string& group_version) {
  reads.push_back("discover " + (group_version.empty() ? std::string("/apis") : group_version));
  calls.push_back(reads.back());
  const auto found = discovery.find(group_version);
  if (found == discovery.end()) return not_found(group_version.empty() ? "/apis" : group_version);
  return found->second;
}

}  // namespace autocanary::testing

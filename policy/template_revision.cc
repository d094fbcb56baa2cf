#include "policy/template_revision.h"

#include "common/hex.h"
#include "common/json_fields.h"

#include <openssl/sha.h>

#include <algorithm>
#include <array>

namespace autocanary::policy {

namespace {

using nlohmann::json;

bool is_shim(const json& container) { return common::string_field(&container, "name") == kShimContainerName; }

}  // namespace

bool has_shim(const json& pod_template) {
  const json* init = common::at(pod_template, "/spec/initContainers");
  return init != nullptr && init->is_array() && std::any_of(init->begin(), init->end(), is_shim);
}

json without_shim(const json& pod_template) {
  if (!has_shim(pod_template)) return pod_template;
  json stripped = pod_template;
  json& init = stripped["spec"]["initContainers"];
  init.erase(std::remove_if(init.begin(), init.end(), is_shim), init.end());
  if (init.empty()) stripped["spec"].erase("initContainers");
  return stripped;
}

std::string template_revision(const nlohmann::json& pod_template) {
  // nlohmann::json keeps object keys sorted, so dump() is canonical.
  return revision_of_canonical(has_shim(pod_template) ? without_shim(pod_template).dump() : pod_template.dump());
}

std::string revision_of_canonical(std::string_view canonical) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size(),
         digest.data());
  return common::to_hex(digest.data(), 5);  // 10 hex digits
}

}  // namespace autocanary::policy

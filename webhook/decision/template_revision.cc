#include "webhook/decision/template_revision.h"

#include "webhook/decision/shim_injection.h"

#include <openssl/sha.h>

#include <array>

namespace autocanary::decision {

std::string template_revision(const nlohmann::json& pod_template) {
  // nlohmann::json keeps object keys sorted, so dump() is canonical.
  return revision_of_canonical(has_shim(pod_template) ? without_shim(pod_template).dump() : pod_template.dump());
}

std::string revision_of_canonical(std::string_view canonical) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size(),
         digest.data());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string revision;
  for (std::size_t i = 0; i < 5; ++i) {
    revision += kHex[digest[i] >> 4];
    revision += kHex[digest[i] & 0x0f];
  }
  return revision;
}

}  // namespace autocanary::decision

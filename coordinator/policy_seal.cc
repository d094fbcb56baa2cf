#include "coordinator/policy_seal.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <stdexcept>

#include "common/hex.h"

namespace autocanary::coordinator {

namespace {

// The policy as the apiserver gives it back: JSON from Go writes a whole
// float (1.0) as an integer (1), so whole floats are integers here too, and the
// seal made before the write verifies after the read.
nlohmann::json canonical(const nlohmann::json& value) {
  if (value.is_number_float()) {
    const double number = value.get<double>();
    if (std::trunc(number) == number && std::fabs(number) < 9.0e15) return static_cast<std::int64_t>(number);
    return value;
  }
  if (!value.is_structured()) return value;
  nlohmann::json out = value.is_array() ? nlohmann::json::array() : nlohmann::json::object();
  for (auto item = value.begin(); item != value.end(); ++item) {
    if (value.is_array()) {
      out.push_back(canonical(*item));
    } else {
      out[item.key()] = canonical(item.value());
    }
  }
  return out;
}

}  // namespace

PolicySeal::PolicySeal(std::string key) : key_(std::move(key)) {
  if (key_.size() < kMinKeyBytes)
    throw std::invalid_argument("the policy seal key has " + std::to_string(key_.size()) + " bytes, fewer than " +
                                std::to_string(kMinKeyBytes));
}

PolicySeal PolicySeal::random() {
  std::string key(32, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) != 1)
    throw std::runtime_error("no random bytes for the policy seal key");
  return PolicySeal(std::move(key));
}

std::string PolicySeal::seal(std::string_view ns, std::string_view deployment, std::string_view revision,
                             const nlohmann::json& policy_spec) const {
  // Lengths first, so that no two different inputs meet as the same bytes.
  std::string message;
  for (const std::string_view part : {ns, deployment, revision}) {
    message += std::to_string(part.size()) + ":";
    message += part;
  }
  message += canonical(policy_spec).dump();
  return mac(message);
}

std::string PolicySeal::mac(std::string_view message) const {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), digest.data(), &length);
  return common::to_hex(digest.data(), length);
}

bool PolicySeal::verify(std::string_view ns, std::string_view deployment, std::string_view revision,
                        const nlohmann::json& policy_spec, std::string_view seal) const {
  const std::string expected = this->seal(ns, deployment, revision, policy_spec);
  return seal.size() == expected.size() && CRYPTO_memcmp(seal.data(), expected.data(), expected.size()) == 0;
}

}  // namespace autocanary::coordinator

// Lower-case hexadecimal of bytes (digests, MACs).
#pragma once

#include <cstddef>
#include <string>

namespace autocanary::common {

[[nodiscard]] inline std::string to_hex(const unsigned char* bytes, std::size_t count) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * count);
  for (std::size_t i = 0; i < count; ++i) {
    hex += kDigits[bytes[i] >> 4];
    hex += kDigits[bytes[i] & 0x0f];
  }
  return hex;
}

}  // namespace autocanary::common

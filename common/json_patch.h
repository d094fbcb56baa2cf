// Building RFC 6902 JSON Patches that are minimal: only the operations needed to
// turn what the user sent into what we want stored, so reinvocation adds nothing.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace autocanary::common {

// Escapes one reference token of a JSON Pointer (RFC 6901): '~' → "~0", '/' → "~1".
[[nodiscard]] std::string escape_pointer_token(std::string_view token);

class JsonPatch {
 public:
  void add(std::string path, nlohmann::json value);
  void replace(std::string path, nlohmann::json value);
  void remove(std::string path);

  // Appends the operations that turn `from` (found at `path`) into `to`.
  void transform(const std::string& path, const nlohmann::json& from, const nlohmann::json& to);

  // Brings the string map at `map_path` (e.g. "/metadata/annotations") of `object`
  // to the wanted entries: a value sets the key, nullopt removes it; other keys
  // are left alone. Creates the map when it is missing.
  void set_map_entries(const nlohmann::json& object, std::string_view map_path,
                       const std::map<std::string, std::optional<std::string>>& wanted);

  [[nodiscard]] bool empty() const noexcept { return ops_.empty(); }
  [[nodiscard]] const nlohmann::json& operations() const noexcept { return ops_; }

  // The patch as JSON text. Same document as operations().dump(), but large
  // string values (a pending template is tens of KiB) are escaped in runs.
  [[nodiscard]] std::string serialize() const;

 private:
  nlohmann::json ops_ = nlohmann::json::array();
};

}  // namespace autocanary::common

// Writing PEM files so that a watcher never sees half a file: write to a
// temporary name beside the target, then rename over it.
#pragma once

#include <string>

namespace autocanary::certs {

// Returns an empty string on success, else what went wrong. `private_file` makes
// the file readable by its owner only (keys).
[[nodiscard]] std::string write_file_atomically(const std::string& path, const std::string& content,
                                                bool private_file);

}  // namespace autocanary::certs

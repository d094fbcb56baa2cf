// Writing PEM files so that a watcher never sees half a file: write to a
// temporary name beside the target, then rename over it.
#pragma once

#include <string>

namespace autocanary::certs {

// Returns an empty string on success, else what went wrong. `private_file` makes
// the file readable by its owner only (keys).
[[nodiscard]] std::string write_file_atomically(const std::string& path, const std::string& content,
                                                bool private_file);

// Replaces a certificate and its key in one step, so a reader never sees a new key
// beside an old certificate: the pair goes into a fresh directory beside them,
// a `..data` symlink is renamed onto it, and the two paths are symlinks through
// `..data` (the layout of a kubelet Secret volume). Both paths must share a
// directory. Returns an empty string on success, else what went wrong.
[[nodiscard]] std::string write_pair_atomically(const std::string& cert_path, const std::string& cert_pem,
                                                const std::string& key_path, const std::string& key_pem);

}  // namespace autocanary::certs

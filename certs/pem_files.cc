#include "certs/pem_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace autocanary::certs {

std::string write_file_atomically(const std::string& path, const std::string& content,
                                  bool private_file) {
  const std::string temporary = path + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                        private_file ? 0600 : 0644);
  if (fd < 0) return "cannot create " + temporary + ": " + std::strerror(errno);
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string error = std::strerror(errno);
      ::close(fd);
      return "cannot write " + temporary + ": " + error;
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) return "cannot flush " + temporary;
  if (std::rename(temporary.c_str(), path.c_str()) != 0)
    return "cannot rename " + temporary + " to " + path + ": " + std::strerror(errno);
  return {};
}

std::string write_pair_atomically(const std::string& cert_path, const std::string& cert_pem,
                                  const std::string& key_path, const std::string& key_pem) {
  namespace fs = std::filesystem;
  const fs::path cert(cert_path), key(key_path);
  if (cert.parent_path() != key.parent_path() || cert.filename() == key.filename())
    return "the certificate and key must be two files in one directory";
  const fs::path dir = cert.parent_path().empty() ? fs::path(".") : cert.parent_path();
  const std::string version =
      "..pair-" + std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  std::error_code error;
  fs::create_directory(dir / version, error);
  if (error) return "cannot create " + (dir / version).string() + ": " + error.message();
  if (auto failed = write_file_atomically((dir / version / key.filename()).string(), key_pem, true); !failed.empty())
    return failed;
  if (auto failed = write_file_atomically((dir / version / cert.filename()).string(), cert_pem, false);
      !failed.empty())
    return failed;

  // The one step that switches both files.
  const fs::path data = dir / "..data";
  const fs::path previous = fs::read_symlink(data, error);
  const fs::path next_data = dir / "..data.tmp";
  fs::remove(next_data, error);
  fs::create_directory_symlink(version, next_data, error);
  if (error) return "cannot link " + next_data.string() + ": " + error.message();
  if (std::rename(next_data.c_str(), data.c_str()) != 0)
    return "cannot rename " + next_data.string() + ": " + std::strerror(errno);

  for (const fs::path& name : {cert.filename(), key.filename()}) {
    if (fs::is_symlink(dir / name)) continue;
    const fs::path link = dir / (name.string() + ".tmp");
    fs::remove(link, error);
    fs::create_symlink(fs::path("..data") / name, link, error);
    if (error) return "cannot link " + link.string() + ": " + error.message();
    if (std::rename(link.c_str(), (dir / name).c_str()) != 0)
      return "cannot rename " + link.string() + ": " + std::strerror(errno);
  }
  if (!previous.empty() && previous != version) fs::remove_all(dir / previous, error);
  return {};
}

}  // namespace autocanary::certs

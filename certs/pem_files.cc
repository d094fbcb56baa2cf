#include "certs/pem_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

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

}  // namespace autocanary::certs

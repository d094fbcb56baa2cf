// Serves the certificate and key currently on disk. Every TLS handshake checks
// whether the files changed (a stat of each, cheap next to the handshake) and
// swaps in the new pair once it loads and matches; a half-written or broken pair
// is ignored and the last good one stays in use. Rotation needs no restart.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <mutex>
#include <string>

#include "certs/certified_key.h"
#include "common/log.h"
#include "common/metrics.h"

namespace autocanary::server {

class CertificateReloader {
 public:
  CertificateReloader(std::string cert_path, std::string key_path, common::Logger& logger,
                      common::MetricsRegistry& metrics);

  // Loads the first pair; returns an error sentence, empty on success.
  [[nodiscard]] std::string load();

  // Makes every handshake on `context` use the current pair.
  void attach(SSL_CTX* context);

  [[nodiscard]] std::shared_ptr<const certs::CertifiedKey> current() const;

 private:
  struct FileStamp {
    dev_t device = 0;
    ino_t inode = 0;
    long long mtime_ns = 0;
    long long size = -1;
    bool operator==(const FileStamp&) const = default;
  };

  static int select_certificate(SSL* ssl, void* self) noexcept;
  void reload_if_changed();
  static FileStamp stamp_of(const std::string& path);

  std::string cert_path_, key_path_;
  common::Logger& logger_;
  common::Counter& reloads_;
  common::Counter& reload_errors_;

  mutable std::mutex mutex_;
  std::shared_ptr<const certs::CertifiedKey> current_;
  FileStamp cert_stamp_, key_stamp_;
};

}  // namespace autocanary::server

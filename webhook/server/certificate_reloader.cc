#include "webhook/server/certificate_reloader.h"

#include <sys/stat.h>

#include <variant>

namespace autocanary::server {

CertificateReloader::CertificateReloader(std::string cert_path, std::string key_path,
                                         common::Logger& logger, common::MetricsRegistry& metrics)
    : cert_path_(std::move(cert_path)),
      key_path_(std::move(key_path)),
      logger_(logger),
      reloads_(metrics.add<common::Counter>("autocanary_webhook_certificate_reloads_total",
                                             "Serving certificate pairs loaded from disk.")),
      reload_errors_(metrics.add<common::Counter>(
          "autocanary_webhook_certificate_reload_errors_total",
          "Changed certificate files that could not be loaded (the previous pair stays).")) {}

CertificateReloader::FileStamp CertificateReloader::stamp_of(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return {};
  return FileStamp{info.st_dev, info.st_ino,
                   static_cast<long long>(info.st_mtim.tv_sec) * 1'000'000'000LL + info.st_mtim.tv_nsec,
                   static_cast<long long>(info.st_size)};
}

std::string CertificateReloader::load() {
  auto loaded = certs::load_certified_key_files(cert_path_, key_path_);
  if (auto* error = std::get_if<std::string>(&loaded)) return *error;
  const std::lock_guard lock(mutex_);
  cert_stamp_ = stamp_of(cert_path_);
  key_stamp_ = stamp_of(key_path_);
  current_ = std::make_shared<const certs::CertifiedKey>(std::move(std::get<certs::CertifiedKey>(loaded)));
  reloads_.inc();
  return {};
}

void CertificateReloader::reload_if_changed() {
  const FileStamp cert_stamp = stamp_of(cert_path_);
  const FileStamp key_stamp = stamp_of(key_path_);
  {
    const std::lock_guard lock(mutex_);
    if (cert_stamp == cert_stamp_ && key_stamp == key_stamp_) return;
  }
  auto loaded = certs::load_certified_key_files(cert_path_, key_path_);
  const std::lock_guard lock(mutex_);
  // Remember the stamps either way: a broken pair is reported once, not per handshake.
  cert_stamp_ = cert_stamp;
  key_stamp_ = key_stamp;
  if (auto* error = std::get_if<std::string>(&loaded)) {
    reload_errors_.inc();
    logger_.warn("serving certificate changed but cannot be used; keeping the previous one",
                 {{"error", *error}});
    return;
  }
  current_ = std::make_shared<const certs::CertifiedKey>(std::move(std::get<certs::CertifiedKey>(loaded)));
  reloads_.inc();
  logger_.info("serving certificate reloaded", {{"subject", certs::common_name(current_->leaf.get())}});
}

std::shared_ptr<const certs::CertifiedKey> CertificateReloader::current() const {
  const std::lock_guard lock(mutex_);
  return current_;
}

int CertificateReloader::select_certificate(SSL* ssl, void* self) noexcept {
  auto* reloader = static_cast<CertificateReloader*>(self);
  reloader->reload_if_changed();
  const auto pair = reloader->current();
  if (!pair) return 0;
  // SSL_use_* take their own references, so the pair may be replaced meanwhile.
  if (SSL_use_certificate(ssl, pair->leaf.get()) != 1 || SSL_use_PrivateKey(ssl, pair->key.get()) != 1)
    return 0;
  SSL_clear_chain_certs(ssl);
  for (const auto& intermediate : pair->chain)
    if (SSL_add1_chain_cert(ssl, intermediate.get()) != 1) return 0;
  return 1;
}

void CertificateReloader::attach(SSL_CTX* context) {
  SSL_CTX_set_cert_cb(context, &CertificateReloader::select_certificate, this);
}

}  // namespace autocanary::server

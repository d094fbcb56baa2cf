// TLS for autocanary-shim-tls: OpenSSL, initialised by the first HTTPS probe.
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <mutex>

#include "shim/tls_session.h"

namespace autocanary::shim {

namespace {

std::string tls_error_text() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "TLS error";
  char buffer[256];
  ERR_error_string_n(code, buffer, sizeof buffer);
  return buffer;
}

// One context for the process, made on first use and kept: every HTTPS probe
// shares its settings.
SSL_CTX* client_context(std::string& error) {
  static std::once_flag made;
  static SSL_CTX* context = nullptr;
  static std::string failure;
  std::call_once(made, [] {
    context = SSL_CTX_new(TLS_client_method());
    if (context == nullptr) {
      failure = "TLS: " + tls_error_text();
      return;
    }
    // As the kubelet: the app's certificate is not verified.
    SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nullptr);
    SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
    SSL_CTX_set_options(context, SSL_OP_IGNORE_UNEXPECTED_EOF);
  });
  if (context == nullptr) error = failure;
  return context;
}

class OpenSslSession final : public TlsSession {
 public:
  explicit OpenSslSession(SSL* ssl) : ssl_(ssl) {}
  ~OpenSslSession() override {
    // close_notify, as the kubelet sends, without waiting for the app's.
    if (SSL_is_init_finished(ssl_) == 1) SSL_shutdown(ssl_);
    ERR_clear_error();
    SSL_free(ssl_);
  }
  OpenSslSession(const OpenSslSession&) = delete;
  OpenSslSession& operator=(const OpenSslSession&) = delete;

  // errno is cleared first so that SSL_ERROR_SYSCALL's errno is this call's.
  TlsStep handshake() override {
    errno = 0;
    return step(SSL_connect(ssl_), 0);
  }

  TlsStep write(std::string_view data) override {
    std::size_t written = 0;
    errno = 0;
    const int result = SSL_write_ex(ssl_, data.data(), data.size(), &written);
    return step(result, written);
  }

  TlsStep read(char* buffer, std::size_t size) override {
    std::size_t got = 0;
    errno = 0;
    const int result = SSL_read_ex(ssl_, buffer, size, &got);
    return step(result, got);
  }

 private:
  // `result` of an OpenSSL call that returns 1 on success.
  TlsStep step(int result, std::size_t bytes) {
    using enum TlsStep::Status;
    const int system_error = errno;
    if (result == 1) return {kDone, bytes, 0, {}};
    switch (SSL_get_error(ssl_, result)) {
      case SSL_ERROR_WANT_READ: return {kWantRead, 0, 0, {}};
      case SSL_ERROR_WANT_WRITE: return {kWantWrite, 0, 0, {}};
      case SSL_ERROR_ZERO_RETURN: return {kClosed, 0, 0, {}};
      case SSL_ERROR_SYSCALL:
        ERR_clear_error();
        if (system_error != 0) return {kFailed, 0, system_error, {}};
        return {kClosed, 0, 0, {}};
      default: return {kFailed, 0, 0, tls_error_text()};
    }
  }

  SSL* ssl_;
};

}  // namespace

bool tls_available() noexcept { return true; }

std::unique_ptr<TlsSession> start_tls(int socket_fd, std::string& error) {
  SSL_CTX* context = client_context(error);
  if (context == nullptr) return nullptr;
  ERR_clear_error();
  SSL* ssl = SSL_new(context);
  if (ssl == nullptr || SSL_set_fd(ssl, socket_fd) != 1) {
    error = "TLS: " + tls_error_text();
    SSL_free(ssl);
    return nullptr;
  }
  return std::make_unique<OpenSslSession>(ssl);
}

}  // namespace autocanary::shim

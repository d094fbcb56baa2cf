#include "webhook/server/open_connections.h"

#include <sys/socket.h>

namespace autocanary::server {

// The context's OpenConnections, for the state callback.
int OpenConnections::context_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// A connection's OpenConnections while it is counted. OpenSSL calls on_free for
// every SSL object it frees (the API client's too); only ours carry it.
int OpenConnections::connection_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, &OpenConnections::on_free);
  return index;
}

void OpenConnections::attach(SSL_CTX& context) {
  SSL_CTX_set_ex_data(&context, context_index(), this);
  SSL_CTX_set_info_callback(&context, &OpenConnections::on_state);
}

void OpenConnections::on_state(const SSL* ssl, int where, int) {
  if ((where & SSL_CB_HANDSHAKE_START) == 0) return;
  auto* self = static_cast<OpenConnections*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), context_index()));
  if (self == nullptr || SSL_get_ex_data(ssl, connection_index()) != nullptr) return;
  {
    const std::lock_guard lock(self->mutex_);
    self->open_.insert(ssl);
  }
  SSL_set_ex_data(const_cast<SSL*>(ssl), connection_index(), self);
}

void OpenConnections::on_free(void* parent, void* data, CRYPTO_EX_DATA*, int, long, void*) {
  auto* self = static_cast<OpenConnections*>(data);
  if (self == nullptr) return;
  const std::lock_guard lock(self->mutex_);
  self->open_.erase(static_cast<const SSL*>(parent));
}

void OpenConnections::stop_reading() {
  // Under the lock a counted connection's socket is still open: cpp-httplib
  // closes it only after OpenSSL has freed the SSL object, which waits here.
  const std::lock_guard lock(mutex_);
  for (const SSL* ssl : open_) ::shutdown(SSL_get_fd(ssl), SHUT_RD);
}

}  // namespace autocanary::server

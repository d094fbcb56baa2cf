// The TLS connections the webhook holds open, so that stopping can end the idle
// ones. cpp-httplib keeps a worker waiting on an idle keep-alive connection until
// its timeout (120 s: longer than the apiserver's own, see ServerOptions) and
// joins every worker when it stops; without this a SIGTERM would wait for the
// apiserver's idle connections, past any pod's termination grace period.
#pragma once

#include <mutex>
#include <set>

#include <openssl/ssl.h>

namespace autocanary::server {

class OpenConnections {
 public:
  // Counts every connection that `context` accepts from its handshake until
  // OpenSSL frees it (before cpp-httplib closes its socket).
  void attach(SSL_CTX& context);

  // Shuts down the reading side of every connection open now: an idle one sees
  // the end of its stream and ends; a request being answered still gets its
  // answer. For after the server has stopped accepting.
  void stop_reading();

 private:
  static int context_index();
  static int connection_index();
  static void on_state(const SSL* ssl, int where, int value);
  static void on_free(void* parent, void* data, CRYPTO_EX_DATA* ex_data, int index, long argl, void* argp);

  std::mutex mutex_;
  std::set<const SSL*> open_;
};

}  // namespace autocanary::server

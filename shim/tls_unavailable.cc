// TLS for autocanary-shim: none. main() refuses HTTPS probes at start, so
// start_tls is only reached if that check is bypassed.
#include "shim/tls_session.h"

namespace autocanary::shim {

bool tls_available() noexcept { return false; }

std::unique_ptr<TlsSession> start_tls(int /*socket_fd*/, std::string& error) {
  error = "TLS: this binary has none; HTTPS probes need " + std::string(kTlsShimBinary);
  return nullptr;
}

}  // namespace autocanary::shim

// The TLS side of an HTTPS probe, over a connected non-blocking socket. The
// shim is built twice from the same sources and differs only here:
// `autocanary-shim-tls` links tls_openssl.cc; `autocanary-shim` links
// tls_unavailable.cc and no OpenSSL, which would cost every pod ~700 KiB of
// resident memory it never uses (docs/benchmarks.md, "Shim"). The webhook
// starts the TLS build only in pods with an HTTPS probe.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace autocanary::shim {

// The name of the binary with TLS, for the webhook's command and for messages.
inline constexpr std::string_view kTlsShimBinary = "autocanary-shim-tls";

// What a step of a non-blocking TLS exchange came to.
struct TlsStep {
  enum class Status { kDone, kWantRead, kWantWrite, kClosed, kFailed };
  Status status = Status::kFailed;
  std::size_t bytes = 0;  // written or read, when kDone
  int system_error = 0;   // when kFailed by the socket: its errno
  std::string error;      // when kFailed by TLS itself
};

class TlsSession {
 public:
  virtual ~TlsSession() = default;
  // Each may be called again once the socket is ready as the step asks.
  [[nodiscard]] virtual TlsStep handshake() = 0;
  [[nodiscard]] virtual TlsStep write(std::string_view data) = 0;
  [[nodiscard]] virtual TlsStep read(char* buffer, std::size_t size) = 0;
};

// Whether this binary can run HTTPS probes.
[[nodiscard]] bool tls_available() noexcept;

// A client session over `socket_fd` that, as the kubelet, does not verify the
// app's certificate; nullptr with `error` filled in when it cannot start.
[[nodiscard]] std::unique_ptr<TlsSession> start_tls(int socket_fd, std::string& error);

}  // namespace autocanary::shim

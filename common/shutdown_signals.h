// How both binaries stop: SIGTERM or SIGINT, taken by one thread with sigwait.
// Construct it in main() before any thread starts, so every thread inherits the
// blocked mask; SIGPIPE is ignored so a peer closing a TLS connection is an
// error value, not the end of the process.
#pragma once

#include <csignal>

namespace autocanary::common {

class ShutdownSignals {
 public:
  ShutdownSignals() noexcept;
  // Blocks until SIGTERM or SIGINT arrives; returns its number.
  [[nodiscard]] int wait() const noexcept;

 private:
  sigset_t signals_{};
};

}  // namespace autocanary::common

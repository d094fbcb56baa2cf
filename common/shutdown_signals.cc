#include "common/shutdown_signals.h"

#include <pthread.h>

namespace autocanary::common {

ShutdownSignals::ShutdownSignals() noexcept {
  std::signal(SIGPIPE, SIG_IGN);
  sigemptyset(&signals_);
  sigaddset(&signals_, SIGTERM);
  sigaddset(&signals_, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
}

int ShutdownSignals::wait() const noexcept {
  int signal_number = 0;
  sigwait(&signals_, &signal_number);
  return signal_number;
}

}  // namespace autocanary::common

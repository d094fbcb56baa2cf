// Runs one probe against the app: a TCP connect, or an HTTP(S) GET whose status
// decides (200–399 passes, as the kubelet's). Non-blocking sockets and poll()
// hold every probe to its timeout as one deadline, however the app dribbles its
// answer; cancel() ends a running probe at once so shutdown never waits for one.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <memory>
#include <string>

#include "shim/probe_spec.h"

namespace autocanary::shim {

// A probe made ready to run: its address resolved and its request written once,
// so a probe run allocates next to nothing.
struct ProbeTarget {
  ProbeSpec spec;
  std::string name;
  std::string request;  // HTTP(S) only
  sockaddr_storage address{};
  socklen_t address_length = 0;
};

[[nodiscard]] ProbeTarget make_probe_target(ProbeSpec spec);

// The request line and headers the kubelet would send; the probe's httpHeaders
// replace Host, User-Agent and Accept of the same name.
[[nodiscard]] std::string http_probe_request(const ProbeSpec& spec);

struct ProbeOutcome {
  bool success = false;
  std::string detail;  // "HTTP 200", "connected", "connection refused", "timed out after 1s"
};

class Prober {
 public:
  Prober();
  ~Prober();
  Prober(const Prober&) = delete;
  Prober& operator=(const Prober&) = delete;

  // Blocks for at most target.spec.timing.timeout. One probe at a time.
  [[nodiscard]] ProbeOutcome run(const ProbeTarget& target);
  // From any thread: the running probe and every later one end at once.
  void cancel() noexcept;

 private:
  int cancel_fd_;
};

}  // namespace autocanary::shim

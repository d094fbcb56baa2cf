#include "shim/status_server.h"

namespace autocanary::shim {

StatusServer::StatusServer(const ProbeLoop& loop, const common::MetricsRegistry& metrics) {
  server_.get("/ready", [&loop] {
    Verdict verdict = loop.verdict();
    verdict.reason += '\n';
    return HttpReply{verdict.ready ? 200 : 503, "text/plain; charset=utf-8", std::move(verdict.reason)};
  });
  server_.get("/live", [&loop] {
    const bool alive = loop.alive(ProbeLoop::Clock::now());
    return HttpReply{alive ? 200 : 503, "text/plain; charset=utf-8",
                     alive ? "ok\n" : "the probing thread is stuck\n"};
  });
  server_.get("/metrics", [&metrics] {
    return HttpReply{200, "text/plain; version=0.0.4; charset=utf-8", metrics.render()};
  });
}

}  // namespace autocanary::shim

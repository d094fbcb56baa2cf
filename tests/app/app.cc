// A tiny HTTP app for tests on the real node (tests/cluster, REAL_NODE=1).
// Every request gets a fresh answer on a connection closed afterwards, so each
// request through a Service is balanced on its own.
//
//   GET /        200 "version=<VERSION> host=<hostname>\n", or 500 for the error share
//   GET /ready   200 "ready\n", or 503 while starting or when NEVER_READY
//   GET /live    200 "live\n"
//
// Settings, each an environment variable or a flag (--port=8080; a flag wins):
//   APP_LISTEN_PORT --port         listen port (default 8080); not APP_PORT, which
//                                  Kubernetes sets in every pod beside a Service named app
//   APP_VERSION     --version      the version answered (default v1)
//   APP_ERROR_RATE  --error-rate   share of GET / answered 500, 0..1 (default 0);
//                                  deterministic: request n fails when
//                                  floor(n*rate) > floor((n-1)*rate)
//   APP_NEVER_READY --never-ready  1: /ready always answers 503
//   APP_START_DELAY --start-delay  seconds before /ready answers 200 (slow start)
//   APP_LISTEN_DELAY --listen-delay seconds before the app listens at all (a slow
//                                  start as a TCP probe sees it: connections refused)
//   APP_EXIT_AFTER  --exit-after   seconds after which the process exits 1 (crash loop)
//   APP_LATENCY_MS  --latency-ms   delay before every answer to GET /
// SIGTERM and SIGINT exit 0 at once.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <thread>

namespace {

struct Settings {
  int port = 8080;
  std::string version = "v1";
  double error_rate = 0;
  bool never_ready = false;
  double start_delay = 0;
  double listen_delay = 0;
  double exit_after = 0;
  long latency_ms = 0;
};

std::atomic<unsigned long> requests{0};
std::chrono::steady_clock::time_point started;

void stop(int) { _exit(0); }

std::string setting(const std::map<std::string, std::string>& flags, const std::string& flag, const char* env,
                    const std::string& fallback) {
  if (auto it = flags.find(flag); it != flags.end()) return it->second;
  const char* value = std::getenv(env);
  return value != nullptr && *value != '\0' ? value : fallback;
}

void send_all(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
}

void answer(int fd, int status, const std::string& body) {
  const char* reason = status == 200 ? "OK" : status == 404 ? "Not Found" : status == 500 ? "Internal Server Error"
                                                                                           : "Service Unavailable";
  send_all(fd, "HTTP/1.1 " + std::to_string(status) + " " + reason +
                   "\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: " +
                   std::to_string(body.size()) + "\r\n\r\n" + body);
}

void serve(int fd, const Settings& settings, const std::string& host) {
  std::string request;
  char buffer[4096];
  // Read the request head; no request this app serves has a body.
  while (request.find("\r\n\r\n") == std::string::npos && request.size() < 65536) {
    ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    request.append(buffer, static_cast<size_t>(n));
  }
  size_t space = request.find(' ');
  size_t end = space == std::string::npos ? std::string::npos : request.find_first_of(" ?", space + 1);
  std::string path = end == std::string::npos ? "" : request.substr(space + 1, end - space - 1);
  std::chrono::duration<double> up = std::chrono::steady_clock::now() - started;
  if (path == "/ready" || path == "/healthz") {
    bool ready = !settings.never_ready && up.count() >= settings.start_delay;
    answer(fd, ready ? 200 : 503, ready ? "ready\n" : "not ready\n");
  } else if (path == "/live") {
    answer(fd, 200, "live\n");
  } else if (path == "/") {
    unsigned long n = ++requests;
    bool fail = std::floor(static_cast<double>(n) * settings.error_rate) >
                std::floor(static_cast<double>(n - 1) * settings.error_rate);
    if (settings.latency_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(settings.latency_ms));
    std::string body = "version=" + settings.version + " host=" + host + "\n";
    answer(fd, fail ? 500 : 200, body);
  } else {
    answer(fd, 404, "not found\n");
  }
  close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  started = std::chrono::steady_clock::now();
  signal(SIGTERM, stop);
  signal(SIGINT, stop);
  std::map<std::string, std::string> flags;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) {
      std::fprintf(stderr, "usage: %s [--port=N] [--version=V] [--error-rate=R] [--never-ready=1] "
                           "[--start-delay=S] [--listen-delay=S] [--exit-after=S] [--latency-ms=MS]\n", argv[0]);
      return 2;
    }
    size_t eq = arg.find('=');
    flags[arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2)] =
        eq == std::string::npos ? "1" : arg.substr(eq + 1);
  }
  Settings settings;
  std::string current;
  // number FLAG ENV FALLBACK: the setting as a double, remembering which one is parsed.
  auto number = [&](const std::string& flag, const char* env, const char* fallback) {
    current = flag + " (" + env + ")=" + setting(flags, flag, env, fallback);
    return std::stod(setting(flags, flag, env, fallback));
  };
  try {
    settings.port = static_cast<int>(number("port", "APP_LISTEN_PORT", "8080"));
    settings.version = setting(flags, "version", "APP_VERSION", "v1");
    settings.error_rate = number("error-rate", "APP_ERROR_RATE", "0");
    settings.never_ready = setting(flags, "never-ready", "APP_NEVER_READY", "0") == "1";
    settings.start_delay = number("start-delay", "APP_START_DELAY", "0");
    settings.listen_delay = number("listen-delay", "APP_LISTEN_DELAY", "0");
    settings.exit_after = number("exit-after", "APP_EXIT_AFTER", "0");
    settings.latency_ms = static_cast<long>(number("latency-ms", "APP_LATENCY_MS", "0"));
  } catch (const std::exception&) {
    std::fprintf(stderr, "app: not a number: %s\n", current.c_str());
    return 2;
  }
  char hostname[256] = "unknown";
  gethostname(hostname, sizeof hostname - 1);
  std::string host = hostname;

  if (settings.exit_after > 0) {
    std::thread([after = settings.exit_after] {
      std::this_thread::sleep_for(std::chrono::duration<double>(after));
      std::fprintf(stderr, "app: exiting after %gs as configured\n", after);
      _exit(1);
    }).detach();
  }

  if (settings.listen_delay > 0)
    std::this_thread::sleep_for(std::chrono::duration<double>(settings.listen_delay));
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(settings.port));
  address.sin_addr.s_addr = htonl(INADDR_ANY);
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || listen(listener, 128) != 0) {
    std::fprintf(stderr, "app: cannot listen on port %d: %s\n", settings.port, std::strerror(errno));
    return 1;
  }
  std::fprintf(stderr, "app: version %s listening on %d (error rate %g, start delay %gs, exit after %gs, "
                       "latency %ldms%s)\n", settings.version.c_str(), settings.port, settings.error_rate,
               settings.start_delay, settings.exit_after, settings.latency_ms,
               settings.never_ready ? ", never ready" : "");
  for (;;) {
    int fd = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::thread(serve, fd, std::cref(settings), std::cref(host)).detach();
  }
}

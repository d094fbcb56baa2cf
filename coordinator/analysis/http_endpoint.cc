#include "coordinator/analysis/http_endpoint.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <vector>

#include <httplib.h>

namespace autocanary::analysis {

namespace {

// A bearer token is a line; a file far larger is a mistake (or /dev/zero).
constexpr std::size_t kMaxTokenBytes = 16 * 1024;

// Where the kubelet mounts a pod's service-account token and CA.
constexpr std::string_view kServiceAccountDirs[] = {"/var/run/secrets/kubernetes.io/",
                                                    "/run/secrets/kubernetes.io/"};

// Whether `path`, with symbolic links and ".." resolved, is among them.
bool is_own_credential(const std::string& path) {
  std::error_code error;
  const std::string resolved = std::filesystem::weakly_canonical(path, error).string();
  for (const std::string_view dir : kServiceAccountDirs) {
    if (path.starts_with(dir) || (!error && resolved.starts_with(dir))) return true;
    // /var/run is a link to /run on most systems: compare resolved to resolved.
    std::string resolved_dir = std::filesystem::weakly_canonical(std::string(dir), error).string();
    while (!resolved_dir.empty() && resolved_dir.back() == '/') resolved_dir.pop_back();
    if (!error && !resolved_dir.empty() && resolved.starts_with(resolved_dir + "/")) return true;
  }
  return false;
}

// Cuts a request off once `stop` is requested. cpp-httplib's own stop() waits
// for a connect under way (it holds the socket's lock meanwhile), so instead
// each socket the client opens is duplicated before it connects and, on a
// stop, shut down: a shutdown ends a connect in progress, a TLS handshake and
// a read waiting for an answer at once. The duplicates keep the descriptors
// ours until the request is over, so a shutdown never reaches a number the
// process reused meanwhile.
class Cancellation {
 public:
  explicit Cancellation(std::stop_token stop) { callback_.emplace(std::move(stop), [this] { cancel(); }); }
  ~Cancellation() {
    callback_.reset();  // waits for a cancel() under way
    for (const int socket : copies_) ::close(socket);
  }
  Cancellation(const Cancellation&) = delete;
  Cancellation& operator=(const Cancellation&) = delete;

  // httplib's socket options hook: called with each new socket, before its connect.
  void opened(int socket) {
    const std::lock_guard lock(mutex_);
    const int copy = ::fcntl(socket, F_DUPFD_CLOEXEC, 0);
    if (copy >= 0) copies_.push_back(copy);
    if (cancelled_) ::shutdown(socket, SHUT_RDWR);
  }

 private:
  void cancel() {
    const std::lock_guard lock(mutex_);
    cancelled_ = true;
    for (const int socket : copies_) ::shutdown(socket, SHUT_RDWR);
  }

  std::mutex mutex_;
  std::vector<int> copies_;
  bool cancelled_ = false;
  std::optional<std::stop_callback<std::function<void()>>> callback_;  // last: the first to go
};

std::string describe(const Endpoint& endpoint) {
  return std::string(endpoint.tls ? "https://" : "http://") + endpoint.host + ":" + std::to_string(endpoint.port) +
         endpoint.path;
}

}  // namespace

std::variant<Endpoint, std::string> parse_endpoint(std::string_view url) {
  Endpoint endpoint;
  std::string_view rest = url;
  if (rest.starts_with("https://")) {
    endpoint.tls = true;
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    return "\"" + std::string(url) + "\" is not an http:// or https:// URL";
  }
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  if (path.find_first_of("?#") != std::string_view::npos) return "\"" + std::string(url) + "\" has a query or fragment";
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  endpoint.path = std::string(path);
  endpoint.port = endpoint.tls ? 443 : 80;
  if (authority.starts_with('[')) {  // [::1]:9090
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return "\"" + std::string(url) + "\" has an unclosed [";
    endpoint.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
  } else {
    const std::size_t colon = authority.find(':');
    endpoint.host = std::string(authority.substr(0, colon));
    authority.remove_prefix(colon == std::string_view::npos ? authority.size() : colon);
  }
  if (authority.starts_with(':')) {
    authority.remove_prefix(1);
    int port = 0;
    const auto parsed = std::from_chars(authority.data(), authority.data() + authority.size(), port);
    if (parsed.ec != std::errc() || parsed.ptr != authority.data() + authority.size() || port <= 0 || port > 65535)
      return "\"" + std::string(url) + "\" has an invalid port";
    endpoint.port = port;
  } else if (!authority.empty()) {
    return "\"" + std::string(url) + "\" is not a valid URL";
  }
  if (endpoint.host.empty()) return "\"" + std::string(url) + "\" has no host";
  return endpoint;
}

std::variant<HttpAnswer, std::string> post(const Endpoint& endpoint, const HttpAccess& access, const std::string& path,
                                           const std::string& body, const std::string& content_type,
                                           std::stop_token stop) {
  if (stop.stop_requested()) return "cancelled before asking " + describe(endpoint) + path;
  httplib::Headers headers{{"Accept", "application/json"}, {"User-Agent", "autocanary-coordinator"}};
  for (const std::string* file : {&access.bearer_token_file, &access.ca_file})
    if (!file->empty() && is_own_credential(*file))
      return *file + " holds the coordinator's own service-account credentials, which are never used for analyses";
  if (!access.bearer_token_file.empty()) {
    if (!endpoint.tls && !access.allow_insecure_token)
      return "refusing to send the token of " + access.bearer_token_file + " in clear text to " + describe(endpoint) +
             ": use https:// or set allowInsecureToken: true";
    std::ifstream file(access.bearer_token_file, std::ios::binary);
    std::string text(kMaxTokenBytes + 1, '\0');
    file.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(file.gcount()));
    if (text.size() > kMaxTokenBytes)
      return access.bearer_token_file + " holds more than " + std::to_string(kMaxTokenBytes) + " bytes: not a token";
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
    if (text.empty()) return "cannot read a bearer token from " + access.bearer_token_file;
    headers.emplace("Authorization", "Bearer " + text);
  }
  std::unique_ptr<httplib::ClientImpl> client;
  if (endpoint.tls) {
    auto tls = std::make_unique<httplib::SSLClient>(endpoint.host, endpoint.port);
    if (!access.ca_file.empty()) tls->set_ca_cert_path(access.ca_file.c_str());
    tls->enable_server_certificate_verification(!access.insecure_skip_verify);
    client = std::move(tls);
  } else {
    client = std::make_unique<httplib::ClientImpl>(endpoint.host, endpoint.port);
  }
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(access.timeout);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(access.timeout - seconds);
  client->set_connection_timeout(static_cast<time_t>(seconds.count()), static_cast<time_t>(micros.count()));
  client->set_read_timeout(static_cast<time_t>(seconds.count()), static_cast<time_t>(micros.count()));
  client->set_write_timeout(static_cast<time_t>(seconds.count()), static_cast<time_t>(micros.count()));
  client->set_keep_alive(false);
  Cancellation cancellation(stop);
  client->set_socket_options([&cancellation](socket_t socket) { cancellation.opened(socket); });
  std::string target = endpoint.path + path;
  if (target.empty()) target = "/";
  const httplib::Result result = client->Post(target, headers, body, content_type);
  if (!result && stop.stop_requested()) return "cancelled while asking " + describe(endpoint) + path;
  if (!result) return "no answer from " + describe(endpoint) + path + ": " + httplib::to_string(result.error());
  return HttpAnswer{result->status, result->body};
}

}  // namespace autocanary::analysis

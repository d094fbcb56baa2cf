// KubeClient over HTTPS (or plain HTTP) with cpp-httplib: bounded timeouts on every
// call, retries with backoff where repeating a request is safe, client-certificate
// or bearer-token authentication, and streamed watches.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>
#include <variant>
#include <vector>

#include "certs/openssl_handles.h"
#include "common/log.h"
#include "kube/kube_client.h"
#include "kube/kube_config.h"
#include "kube/retry_policy.h"

namespace httplib {
class ClientImpl;
}

namespace autocanary::kube {

struct HttpKubeClientOptions {
  std::chrono::milliseconds connect_timeout{5'000};
  // Read and write timeout of one attempt; the apiserver itself gives up after 60 s.
  std::chrono::milliseconds request_timeout{30'000};
  // A watch may be silent until its own timeout; it gets this much longer to read.
  std::chrono::seconds watch_read_slack{30};
  RetryPolicy retry;
  std::string user_agent;  // empty: "autocanary/<version>"
  // Act as another user (and groups), as kubectl's --as/--as-group: the
  // Impersonate-User and Impersonate-Group headers, which the apiserver
  // honours only for a caller allowed to `impersonate`.
  std::string impersonate_user;
  std::vector<std::string> impersonate_groups;
  std::string field_manager = "autocanary";
  // Bound service-account tokens are replaced on disk well before they expire.
  std::chrono::seconds token_reread_interval{60};
  std::size_t max_idle_connections = 4;
};

// "<component>/<version>", e.g. "autocanary-coordinator/0.4.0": how the
// apiserver's audit log tells the binaries' requests apart.
[[nodiscard]] std::string default_user_agent(std::string_view component = "autocanary");

// Safe to share between threads: calls run concurrently on pooled connections.
class HttpKubeClient final : public KubeClient {
 public:
  // Fails when the configuration cannot be used: a bad server URL, PEM that does
  // not parse, a key that does not match its certificate.
  [[nodiscard]] static std::variant<std::unique_ptr<HttpKubeClient>, std::string> from_config(
      KubeConfig config, HttpKubeClientOptions options, common::Logger& logger);

  ~HttpKubeClient() override;
  HttpKubeClient(const HttpKubeClient&) = delete;
  HttpKubeClient& operator=(const HttpKubeClient&) = delete;

  [[nodiscard]] Result<nlohmann::json> get(const ResourceRef& ref) override;
  [[nodiscard]] Result<ObjectList> list(const ResourceRef& collection,
                                        const ListOptions& options) override;
  [[nodiscard]] Result<ListPage> list_page(const ResourceRef& collection, const ListOptions& options,
                                           const std::string& continue_token) override;
  [[nodiscard]] Result<nlohmann::json> create(const ResourceRef& ref,
                                              const nlohmann::json& object) override;
  [[nodiscard]] Result<nlohmann::json> update(const ResourceRef& ref,
                                              const nlohmann::json& object) override;
  [[nodiscard]] Result<nlohmann::json> patch(const ResourceRef& ref, const nlohmann::json& patch,
                                             const PatchOptions& options) override;
  [[nodiscard]] Result<nlohmann::json> remove(const ResourceRef& ref,
                                              const DeleteOptions& options) override;
  [[nodiscard]] Result<void> watch(const ResourceRef& collection, const WatchOptions& options,
                                   const WatchHandler& on_event, std::stop_token stop) override;
  [[nodiscard]] Result<nlohmann::json> discover(const std::string& group_version) override;

  // Cuts off every request now in flight (its socket is shut down) and ends the
  // retries of every call begun before: for a caller whose right to act just
  // ended. A call cut off this way fails with kReasonAborted, whether or not the
  // apiserver had applied it. Watches are not touched. Safe from any thread.
  void abort_requests_in_flight();

  [[nodiscard]] const std::string& default_namespace() const noexcept {
    return config_.namespace_name;
  }

 private:
  struct ApiRequest {
    const char* method = "GET";
    std::string target;  // path and query, below the server's base path
    std::string body;
    std::string content_type;
    // Safe to send again after a server error or a broken connection.
    bool idempotent = true;
  };

  HttpKubeClient(KubeConfig config, ServerAddress server, HttpKubeClientOptions options,
                 common::Logger& logger);

  [[nodiscard]] std::string load_tls_material();
  [[nodiscard]] std::unique_ptr<httplib::ClientImpl> new_connection(
      std::chrono::milliseconds read_timeout, bool keep_alive) const;
  [[nodiscard]] std::unique_ptr<httplib::ClientImpl> borrow_connection();
  void return_connection(std::unique_ptr<httplib::ClientImpl> connection);
  [[nodiscard]] std::string bearer_token(bool force_reread);
  [[nodiscard]] Result<nlohmann::json> call(const ApiRequest& request);
  [[nodiscard]] double jitter();

  const KubeConfig config_;
  const ServerAddress server_;
  const HttpKubeClientOptions options_;
  common::Logger& logger_;

  certs::X509Ptr client_certificate_;
  std::vector<certs::X509Ptr> client_chain_;
  certs::KeyPtr client_key_;
  std::vector<certs::X509Ptr> authorities_;

  // One cpp-httplib client carries one request at a time (it holds a lock for the
  // whole exchange), so callers borrow idle clients from this pool and put them
  // back afterwards; their kept-alive connections spare a TLS handshake per call.
  // A watch holds its connection for minutes and gets a client of its own.
  std::mutex pool_mutex_;
  std::vector<std::unique_ptr<httplib::ClientImpl>> idle_connections_;

  // Connections sending a request right now, and how many aborts there have
  // been: a call begun under an older count stops instead of retrying.
  std::mutex in_flight_mutex_;
  std::unordered_set<httplib::ClientImpl*> in_flight_;
  std::uint64_t aborts_ = 0;
  std::condition_variable abort_wake_;

  std::mutex token_mutex_;
  std::string token_;
  std::chrono::steady_clock::time_point token_read_at_{};

  std::mutex random_mutex_;
  std::mt19937 random_;
};

}  // namespace autocanary::kube

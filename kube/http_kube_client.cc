#include "kube/http_kube_client.h"

#include <httplib.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include "certs/certified_key.h"
#include "common/json_fields.h"
#include "kube/resource_path.h"
#include "kube/status_error.h"
#include "kube/watch_decoder.h"

#ifndef AUTOCANARY_VERSION
#define AUTOCANARY_VERSION "0.0.0"
#endif

namespace autocanary::kube {

namespace {

// A watch without a timeout would be ended by the apiserver after a random 30-60
// minutes; a known bound lets the read timeout match it.
constexpr std::chrono::seconds kDefaultWatchTimeout{300};
// Enough of a failed watch's body to read its Status.
constexpr std::size_t kMaxErrorBody = 64 * 1024;

// OpenSSL writes with write(2), so a peer that went away (or a socket shut down to
// stop a watch) raises SIGPIPE, whose default action ends the process. While a
// request runs the signal is blocked for this thread, and one raised meanwhile is
// discarded: the failure arrives as an error value. Nothing process-wide changes.
class SigpipeSuppressor {
 public:
  SigpipeSuppressor() noexcept {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &previous_);
  }
  ~SigpipeSuppressor() {
    if (!was_pending_) {
      sigset_t pending;
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        const timespec no_wait{};
        while (sigtimedwait(&pipe_, nullptr, &no_wait) == -1 && errno == EINTR) {
        }
      }
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  SigpipeSuppressor(const SigpipeSuppressor&) = delete;
  SigpipeSuppressor& operator=(const SigpipeSuppressor&) = delete;

 private:
  sigset_t pipe_{};
  sigset_t previous_{};
  bool was_pending_ = false;
};

KubeError invalid_request(std::string message) {
  return KubeError{0, kReasonInvalidRequest, std::move(message), false};
}

Delivery delivery_of(httplib::Error error) {
  switch (error) {
    case httplib::Error::Connection:
    case httplib::Error::BindIPAddress:
    case httplib::Error::ConnectionTimeout:
    case httplib::Error::SSLConnection:
    case httplib::Error::SSLLoadingCerts:
    case httplib::Error::SSLServerVerification:
      return Delivery::kNotSent;
    default:
      return Delivery::kUnknown;
  }
}

// OpenSSL's reason for a failed handshake ("certificate verify failed"), if any:
// the earliest queued error is the cause, later ones are consequences.
std::string take_openssl_error() {
  const unsigned long code = ERR_peek_error();
  ERR_clear_error();
  if (code == 0) return {};
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : std::string();
}

KubeError transport_error(httplib::Error error, Delivery delivery, const std::string& what) {
  KubeError failure;
  failure.reason =
      delivery == Delivery::kNotSent ? kReasonConnectionFailed : kReasonTransportFailed;
  failure.message = what + ": " + httplib::to_string(error);
  if (const std::string tls = take_openssl_error(); !tls.empty())
    failure.message += " (" + tls + ")";
  failure.retryable = true;
  return failure;
}

std::string trimmed(std::string text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

Result<std::vector<certs::X509Ptr>> parse_authorities(const std::string& pem) {
  certs::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  std::vector<certs::X509Ptr> authorities;
  while (X509* certificate = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr))
    authorities.emplace_back(certificate);
  ERR_clear_error();  // the loop ends on an expected "no start line"
  if (authorities.empty())
    return invalid_request("certificate authority holds no PEM certificate");
  return authorities;
}

Result<nlohmann::json> parse_json_body(int http_status, const std::string& body) {
  if (body.empty()) return nlohmann::json::object();
  auto parsed = nlohmann::json::parse(body, nullptr, false);
  if (parsed.is_discarded())
    return KubeError{http_status, kReasonInvalidResponse, "response body is not JSON", false};
  return parsed;
}

const char* propagation_name(PropagationPolicy policy) {
  switch (policy) {
    case PropagationPolicy::kForeground: return "Foreground";
    case PropagationPolicy::kBackground: return "Background";
    case PropagationPolicy::kOrphan: return "Orphan";
    case PropagationPolicy::kServerDefault: break;
  }
  return nullptr;
}

nlohmann::json delete_options_body(const DeleteOptions& options) {
  nlohmann::json body = {{"apiVersion", "v1"}, {"kind", "DeleteOptions"}};
  if (const char* propagation = propagation_name(options.propagation))
    body["propagationPolicy"] = propagation;
  if (!options.precondition_uid.empty()) body["preconditions"]["uid"] = options.precondition_uid;
  if (!options.precondition_resource_version.empty())
    body["preconditions"]["resourceVersion"] = options.precondition_resource_version;
  if (options.grace_period_seconds) body["gracePeriodSeconds"] = *options.grace_period_seconds;
  return body;
}

// List items come without apiVersion and kind; watch events carry them. Filling
// them in gives every consumer one shape of object.
void complete_list_items(nlohmann::json& list, std::vector<nlohmann::json>& into) {
  if (!list.is_object() || !list.contains("items") || !list["items"].is_array()) return;
  nlohmann::json& items = list["items"];
  const std::string api_version = common::string_field(&list, "apiVersion");
  std::string kind = common::string_field(&list, "kind");
  if (kind.size() > 4 && kind.ends_with("List")) kind.resize(kind.size() - 4);
  for (auto& item : items) {
    if (item.is_object()) {
      if (!item.contains("apiVersion") && !api_version.empty()) item["apiVersion"] = api_version;
      if (!item.contains("kind") && !kind.empty()) item["kind"] = kind;
    }
    into.push_back(std::move(item));
  }
}

}  // namespace

std::string default_user_agent(std::string_view component) {
  return std::string(component) + "/" + AUTOCANARY_VERSION;
}

HttpKubeClient::HttpKubeClient(KubeConfig config, ServerAddress server,
                               HttpKubeClientOptions options, common::Logger& logger)
    : config_(std::move(config)),
      server_(std::move(server)),
      options_(std::move(options)),
      logger_(logger),
      random_(std::random_device{}()) {}

HttpKubeClient::~HttpKubeClient() {
  // Closing kept-alive TLS connections writes a close_notify.
  const SigpipeSuppressor no_sigpipe;
  const std::lock_guard lock(pool_mutex_);
  idle_connections_.clear();
}

std::variant<std::unique_ptr<HttpKubeClient>, std::string> HttpKubeClient::from_config(
    KubeConfig config, HttpKubeClientOptions options, common::Logger& logger) {
  auto server = parse_server_url(config.server);
  if (auto* error = std::get_if<std::string>(&server)) return *error;
  if (options.user_agent.empty()) options.user_agent = default_user_agent();
  std::unique_ptr<HttpKubeClient> client(new HttpKubeClient(
      std::move(config), std::move(std::get<ServerAddress>(server)), std::move(options), logger));
  if (std::string error = client->load_tls_material(); !error.empty()) return error;
  // Building one connection now proves OpenSSL takes the material before any call needs it.
  if (!client->new_connection(client->options_.request_timeout, false)->is_valid())
    return "cannot set up a TLS client for " + client->config_.server + ": " + take_openssl_error();
  return client;
}

std::string HttpKubeClient::load_tls_material() {
  if (!config_.client_certificate_pem.empty()) {
    if (!server_.tls) return "a client certificate needs an https:// server";
    auto loaded = certs::load_certified_key(config_.client_certificate_pem, config_.client_key_pem);
    if (auto* error = std::get_if<std::string>(&loaded)) return "client certificate: " + *error;
    auto& pair = std::get<certs::CertifiedKey>(loaded);
    client_certificate_ = std::move(pair.leaf);
    client_chain_ = std::move(pair.chain);
    client_key_ = std::move(pair.key);
  }
  if (!config_.certificate_authority_pem.empty()) {
    auto authorities = parse_authorities(config_.certificate_authority_pem);
    if (!authorities) return authorities.error().message;
    authorities_ = std::move(authorities).value();
  }
  return {};
}

std::unique_ptr<httplib::ClientImpl> HttpKubeClient::new_connection(
    std::chrono::milliseconds read_timeout, bool keep_alive) const {
  std::unique_ptr<httplib::ClientImpl> connection;
  if (server_.tls) {
    auto tls = client_certificate_
                   ? std::make_unique<httplib::SSLClient>(server_.host, server_.port,
                                                          client_certificate_.get(),
                                                          client_key_.get())
                   : std::make_unique<httplib::SSLClient>(server_.host, server_.port);
    if (SSL_CTX* context = tls->ssl_context()) {
      SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
      for (const auto& intermediate : client_chain_)
        SSL_CTX_add1_chain_cert(context, intermediate.get());
      // cpp-httplib's own verification would trust the system's authorities next
      // to the cluster's. OpenSSL verifies in the handshake instead, against exactly
      // the configured authorities, with the host name or IP address checked too.
      tls->enable_server_certificate_verification(false);
      if (!config_.insecure_skip_tls_verify) {
        X509_STORE* store = X509_STORE_new();
        if (authorities_.empty()) X509_STORE_set_default_paths(store);
        for (const auto& authority : authorities_) X509_STORE_add_cert(store, authority.get());
        SSL_CTX_set_cert_store(context, store);  // the context owns it now
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nullptr);
        X509_VERIFY_PARAM* param = SSL_CTX_get0_param(context);
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (X509_VERIFY_PARAM_set1_ip_asc(param, server_.host.c_str()) != 1) {
          ERR_clear_error();  // not an IP address: a DNS name
          X509_VERIFY_PARAM_set1_host(param, server_.host.c_str(), server_.host.size());
        }
      }
    }
    connection = std::move(tls);
  } else {
    connection = std::make_unique<httplib::ClientImpl>(server_.host, server_.port);
  }
  connection->set_connection_timeout(options_.connect_timeout);
  connection->set_read_timeout(read_timeout);
  connection->set_write_timeout(options_.request_timeout);
  connection->set_keep_alive(keep_alive);
  connection->set_url_encode(false);  // resource_path and with_query encoded everything already
  // A small body after the headers must not wait for a delayed ACK (Nagle):
  // that cost every patch on a kept-alive connection 40 ms.
  connection->set_tcp_nodelay(true);
  return connection;
}

std::unique_ptr<httplib::ClientImpl> HttpKubeClient::borrow_connection() {
  {
    const std::lock_guard lock(pool_mutex_);
    if (!idle_connections_.empty()) {
      auto connection = std::move(idle_connections_.back());
      idle_connections_.pop_back();
      return connection;
    }
  }
  return new_connection(options_.request_timeout, true);
}

void HttpKubeClient::return_connection(std::unique_ptr<httplib::ClientImpl> connection) {
  const std::lock_guard lock(pool_mutex_);
  if (idle_connections_.size() < options_.max_idle_connections)
    idle_connections_.push_back(std::move(connection));
}

std::string HttpKubeClient::bearer_token(bool force_reread) {
  if (config_.token_file.empty()) return config_.token;
  const std::lock_guard lock(token_mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (force_reread || token_.empty() || now - token_read_at_ >= options_.token_reread_interval) {
    token_read_at_ = now;
    std::ifstream file(config_.token_file);
    std::ostringstream content;
    if (file) content << file.rdbuf();
    if (std::string fresh = trimmed(content.str()); !fresh.empty()) {
      token_ = std::move(fresh);
    } else {
      logger_.warn("cannot read the service-account token; keeping the previous one",
                   {{"path", config_.token_file}});
    }
  }
  return token_;
}

double HttpKubeClient::jitter() {
  const std::lock_guard lock(random_mutex_);
  return std::uniform_real_distribution<double>(0.0, 1.0)(random_);
}

namespace {

httplib::Headers base_headers(const HttpKubeClientOptions& options, const std::string& token) {
  httplib::Headers headers{{"User-Agent", options.user_agent}, {"Accept", "application/json"}};
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  if (!options.impersonate_user.empty()) headers.emplace("Impersonate-User", options.impersonate_user);
  for (const std::string& group : options.impersonate_groups) headers.emplace("Impersonate-Group", group);
  return headers;
}

}  // namespace

void HttpKubeClient::abort_requests_in_flight() {
  const std::lock_guard lock(in_flight_mutex_);
  ++aborts_;
  for (httplib::ClientImpl* connection : in_flight_) connection->stop();
  abort_wake_.notify_all();  // calls waiting to retry
}

Result<nlohmann::json> HttpKubeClient::call(const ApiRequest& api) {
  const SigpipeSuppressor no_sigpipe;  // outlives every connection used below
  bool token_reread = false;
  int attempts_made = 0;
  const std::uint64_t aborts_at_start = [this] {
    const std::lock_guard lock(in_flight_mutex_);
    return aborts_;
  }();
  const auto aborted = [&] {
    return KubeError{0, kReasonAborted,
                     std::string(api.method) + " " + server_.base_path + api.target +
                         " was aborted: the caller withdrew (it may have been applied)",
                     false};
  };
  while (true) {
    // A request that must not be repeated never rides a kept-alive connection that
    // the server may have closed meanwhile: that failure could not be told apart
    // from one after the request was applied.
    auto connection =
        api.idempotent ? borrow_connection() : new_connection(options_.request_timeout, true);
    httplib::Request request;
    request.method = api.method;
    request.path = server_.base_path + api.target;
    request.headers = base_headers(options_, bearer_token(false));
    if (!api.body.empty()) {
      request.body = api.body;
      request.set_header("Content-Type", api.content_type);
    }
    {
      const std::lock_guard lock(in_flight_mutex_);
      if (aborts_ != aborts_at_start) return aborted();
      in_flight_.insert(connection.get());
    }
    const httplib::Result response = connection->send(request);
    ++attempts_made;
    {
      const std::lock_guard lock(in_flight_mutex_);
      in_flight_.erase(connection.get());
      // Cut off by an abort (or answered just as it came): its socket may be shut.
      if (aborts_ != aborts_at_start) return aborted();
    }

    AttemptOutcome outcome;
    std::string retry_after;
    KubeError error;
    if (!response) {
      outcome.delivery = delivery_of(response.error());
      error = transport_error(response.error(), outcome.delivery,
                              std::string(api.method) + " " + request.path);
      if (!api.idempotent && outcome.delivery == Delivery::kUnknown)
        error.message += "; it may have been applied: read before trying again";
    } else {
      const int status = response->status;
      return_connection(std::move(connection));
      if (status >= 200 && status < 300) return parse_json_body(status, response->body);
      if (status == 401 && !config_.token_file.empty() && !token_reread) {
        // The token on disk may have been rotated since it was read: once, at once.
        token_reread = true;
        (void)bearer_token(true);
        --attempts_made;
        continue;
      }
      retry_after = response->get_header_value("Retry-After");
      outcome = AttemptOutcome{Delivery::kResponded, status, retry_after};
      error = error_from_response(status, response->body);
    }
    const auto delay =
        retry_delay(options_.retry, attempts_made, outcome, api.idempotent, jitter());
    if (!delay) return error;
    logger_.debug("retrying a Kubernetes API request",
                  {{"method", api.method}, {"path", request.path}, {"attempt", attempts_made},
                   {"error", error.describe()}, {"delay_ms", delay->count()}});
    std::unique_lock lock(in_flight_mutex_);
    if (abort_wake_.wait_for(lock, *delay, [&] { return aborts_ != aborts_at_start; })) return aborted();
  }
}

Result<nlohmann::json> HttpKubeClient::get(const ResourceRef& ref) {
  if (ref.name.empty())
    return invalid_request("get needs an object name; list a collection");
  auto path = resource_path(ref);
  if (!path) return path.error();
  return call({"GET", std::move(path).value(), {}, {}, true});
}

Result<nlohmann::json> HttpKubeClient::discover(const std::string& group_version) {
  // "group/version" only: a path of anything else is refused before it is sent.
  const auto slash = group_version.find('/');
  const bool valid = group_version.empty() ||
                     (slash != std::string::npos && slash > 0 && slash + 1 < group_version.size() &&
                      group_version.find('/', slash + 1) == std::string::npos &&
                      resource_path({group_version.substr(0, slash), group_version.substr(slash + 1), "x", "", "", ""}));
  if (!valid) return invalid_request("discovery needs \"group/version\", not '" + group_version + "'");
  return call({"GET", group_version.empty() ? "/apis" : "/apis/" + group_version, {}, {}, true});
}

Result<ObjectList> HttpKubeClient::list(const ResourceRef& collection, const ListOptions& options) {
  ObjectList list;
  ListOptions page_options = options;
  std::string continue_token;
  while (true) {
    auto page = list_page(collection, page_options, continue_token);
    if (!page) {
      if (!continue_token.empty() && page.error().is_expired()) {
        // The snapshot behind a continue token is compacted away after some minutes;
        // one unpaged list then still gives a consistent answer.
        logger_.info("list continuation expired; listing again in one request",
                     {{"resource", collection.resource}});
        list = {};
        continue_token.clear();
        page_options.page_size = 0;
        continue;
      }
      return page.error();
    }
    if (list.items.empty()) {
      list.items = std::move(page->items);
    } else {
      list.items.insert(list.items.end(), std::make_move_iterator(page->items.begin()),
                        std::make_move_iterator(page->items.end()));
    }
    list.resource_version = std::move(page->resource_version);
    continue_token = std::move(page->continue_token);
    if (continue_token.empty()) return list;
  }
}

Result<ListPage> HttpKubeClient::list_page(const ResourceRef& collection, const ListOptions& options,
                                           const std::string& continue_token) {
  auto path = collection_path(collection);
  if (!path) return path.error();
  auto page = call({"GET", with_query(path.value(), list_query(options, continue_token)), {}, {}, true});
  if (!page) return page.error();
  ListPage list;
  nlohmann::json& body = page.value();
  complete_list_items(body, list.items);
  list.resource_version = common::metadata_string(body, "resourceVersion");
  list.continue_token = common::metadata_string(body, "continue");
  return list;
}

Result<nlohmann::json> HttpKubeClient::create(const ResourceRef& ref,
                                              const nlohmann::json& object) {
  auto path = ref.subresource.empty() ? collection_path(ref) : resource_path(ref);
  if (!path) return path.error();
  return call({"POST", with_query(path.value(), {{"fieldManager", options_.field_manager}}),
               object.dump(), "application/json", false});
}

Result<nlohmann::json> HttpKubeClient::update(const ResourceRef& ref,
                                              const nlohmann::json& object) {
  ResourceRef target = ref;
  if (target.name.empty()) target.name = common::metadata_string(object, "name");
  if (target.name.empty())
    return invalid_request("update needs an object name");
  auto path = resource_path(target);
  if (!path) return path.error();
  // Only a conditional PUT is safe to repeat: a second one after a lost answer
  // fails with a Conflict instead of overwriting a newer write.
  const bool conditional = !common::metadata_string(object, "resourceVersion").empty();
  return call({"PUT", with_query(path.value(), {{"fieldManager", options_.field_manager}}),
               object.dump(), "application/json", conditional});
}

Result<nlohmann::json> HttpKubeClient::patch(const ResourceRef& ref, const nlohmann::json& patch,
                                             const PatchOptions& options) {
  if (ref.name.empty()) return invalid_request("patch needs an object name");
  auto path = resource_path(ref);
  if (!path) return path.error();
  const std::string& manager =
      options.field_manager.empty() ? options_.field_manager : options.field_manager;
  QueryParams query{{"fieldManager", manager}};
  if (options.type == PatchType::kApply && options.force) query.emplace_back("force", "true");
  // Applying, merging or setting fields twice ends in the same object; a JSON
  // Patch may not ("add" to "/-" appends again), so it is sent once.
  const bool idempotent = options.type != PatchType::kJson;
  // JSON is YAML, so an apply patch needs no YAML writer.
  return call({"PATCH", with_query(path.value(), query), patch.dump(),
               content_type_of(options.type), idempotent});
}

Result<nlohmann::json> HttpKubeClient::remove(const ResourceRef& ref,
                                              const DeleteOptions& options) {
  if (ref.name.empty()) return invalid_request("delete needs an object name");
  auto path = resource_path(ref);
  if (!path) return path.error();
  // Repeating a delete whose answer was lost gives NotFound, which callers treat as done.
  return call({"DELETE", std::move(path).value(), delete_options_body(options).dump(),
               "application/json", true});
}

Result<void> HttpKubeClient::watch(const ResourceRef& collection, const WatchOptions& options,
                                   const WatchHandler& on_event, std::stop_token stop) {
  auto path = collection_path(collection);
  if (!path) return path.error();
  WatchOptions effective = options;
  if (effective.timeout.count() <= 0) effective.timeout = kDefaultWatchTimeout;
  if (!collection.name.empty()) {
    const std::string by_name = "metadata.name=" + collection.name;
    effective.field_selector =
        effective.field_selector.empty() ? by_name : effective.field_selector + "," + by_name;
  }
  if (stop.stop_requested()) return {};

  const SigpipeSuppressor no_sigpipe;  // outlives the connection
  auto connection = new_connection(effective.timeout + options_.watch_read_slack, false);
  // A stop shuts the socket down under the blocked read. One that lands before the
  // socket exists is caught as the socket is created, so none is missed.
  connection->set_socket_options([&stop](socket_t socket) {
    if (stop.stop_requested()) ::shutdown(socket, SHUT_RDWR);
  });
  const std::stop_callback stop_reading(stop, [&connection] { connection->stop(); });

  int status = 0;
  std::string error_body;
  bool ended_by_handler = false;
  std::optional<KubeError> event_error;
  WatchStreamDecoder decoder;
  const WatchHandler deliver = [&](WatchEvent&& event) {
    if (event.type == WatchEventType::kError) {
      // The apiserver ends the watch after an ERROR; its Status is the outcome.
      event_error = error_from_status(event.object, 500);
      (void)on_event(std::move(event));
      return false;
    }
    if (!on_event(std::move(event))) {
      ended_by_handler = true;
      return false;
    }
    return !stop.stop_requested();
  };

  httplib::Request request;
  request.method = "GET";
  request.path = server_.base_path + with_query(path.value(), watch_query(effective));
  request.headers = base_headers(options_, bearer_token(false));
  request.response_handler = [&status](const httplib::Response& response) {
    status = response.status;
    return true;
  };
  request.content_receiver = [&](const char* data, std::size_t length, std::uint64_t,
                                 std::uint64_t) {
    if (status < 200 || status >= 300) {
      error_body.append(data, std::min(length, kMaxErrorBody - error_body.size()));
      return error_body.size() < kMaxErrorBody;
    }
    return decoder.feed(std::string_view(data, length), deliver);
  };
  const httplib::Result response = connection->send(request);

  if (event_error) return *event_error;
  if (decoder.error()) return *decoder.error();
  if (ended_by_handler || stop.stop_requested()) return {};
  if (status == 0)  // no response at all
    return transport_error(response.error(), delivery_of(response.error()),
                           "watch " + request.path);
  if (status < 200 || status >= 300) {
    if (status == 401) (void)bearer_token(true);
    return error_from_response(status, error_body);
  }
  if (!response)  // the stream broke off
    return transport_error(response.error(), Delivery::kUnknown, "watch " + request.path);
  if (decoder.pending_bytes() > 0)
    return KubeError{0, kReasonInvalidResponse, "watch stream ended inside an event", true};
  return {};  // the apiserver ended the watch at its timeout
}

}  // namespace autocanary::kube

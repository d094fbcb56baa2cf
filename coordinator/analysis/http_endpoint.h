// The HTTP side shared by the Prometheus provider and the HTTP gate: a URL
// taken apart, and one bounded request over cpp-httplib (TLS with a chosen CA
// or none, a bearer token read from a file). Every failure is a value.
#pragma once

#include <chrono>
#include <stop_token>
#include <string>
#include <string_view>
#include <variant>

namespace autocanary::analysis {

struct Endpoint {
  bool tls = false;
  std::string host;
  int port = 0;
  std::string path;  // without a trailing slash; "" for the root
};

// http(s)://host[:port][/path]; anything else is an error message.
[[nodiscard]] std::variant<Endpoint, std::string> parse_endpoint(std::string_view url);

struct HttpAccess {
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};  // connect, and each read and write
  std::string bearer_token_file;
  std::string ca_file;
  bool insecure_skip_verify = false;
  bool allow_insecure_token = false;  // send the token to an http:// server too
};

struct HttpAnswer {
  int status = 0;
  std::string body;
};

// POSTs `body` to endpoint.path + `path`. No answer (refused, timed out, TLS
// failure, unreadable token file) is an error message naming the endpoint.
// A bearer token goes to an http:// server only with allow_insecure_token, and
// the coordinator's own service-account credentials are never read: whoever
// writes a policy must not be able to make it send them anywhere. A stop
// requested on `stop` cuts the request off wherever it is — connecting, in
// the TLS handshake, waiting for the answer — and it is an error.
[[nodiscard]] std::variant<HttpAnswer, std::string> post(const Endpoint& endpoint, const HttpAccess& access,
                                                         const std::string& path, const std::string& body,
                                                         const std::string& content_type, std::stop_token stop);

}  // namespace autocanary::analysis

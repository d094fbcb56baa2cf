#include "kube/kube_config.h"

#include <yaml-cpp/yaml.h>

#include <array>
#include <charconv>
#include <fstream>
#include <sstream>

namespace autocanary::kube {

namespace {

using Loaded = std::variant<KubeConfig, std::string>;

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return std::nullopt;
  std::ostringstream content;
  content << file.rdbuf();
  if (file.bad()) return std::nullopt;
  return content.str();
}

std::string trim(std::string text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

std::string resolve(const std::string& path, const std::string& base_dir) {
  if (path.empty() || path.front() == '/' || base_dir.empty()) return path;
  return base_dir + "/" + path;
}

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string scalar(const YAML::Node& map, const char* key) {
  const YAML::Node value = map[key];
  return value && value.IsScalar() ? value.as<std::string>() : std::string();
}

// The `field` mapping of the entry called `name` in the list `section`
// (clusters, users and contexts all have this shape).
std::optional<YAML::Node> named_entry(const YAML::Node& root, const char* section,
                                      const char* field, const std::string& name) {
  const YAML::Node list = root[section];
  if (!list || !list.IsSequence()) return std::nullopt;
  for (const auto& entry : list) {
    if (entry.IsMap() && scalar(entry, "name") == name) {
      const YAML::Node inner = entry[field];
      return inner && inner.IsMap() ? inner : YAML::Node(YAML::NodeType::Map);
    }
  }
  return std::nullopt;
}

struct PemField {
  std::string pem;    // empty when the field is absent
  std::string error;  // set when it is present but unusable
};

// PEM material given inline (base64 in `data_key`, which wins, as in kubectl) or
// as a file name in `file_key`.
PemField pem_field(const YAML::Node& map, const char* data_key, const char* file_key,
                   const std::string& base_dir) {
  if (const std::string data = scalar(map, data_key); !data.empty()) {
    auto decoded = decode_base64(data);
    if (!decoded) return {{}, std::string(data_key) + " is not base64"};
    return {std::move(*decoded), {}};
  }
  if (const std::string file = scalar(map, file_key); !file.empty()) {
    const std::string path = resolve(file, base_dir);
    auto content = read_file(path);
    if (!content) return {{}, "cannot read " + path + " (" + file_key + ")"};
    return {std::move(*content), {}};
  }
  return {};
}

bool is_true(const std::string& value) {
  return value == "true" || value == "True" || value == "yes";
}

Loaded parse_document(const YAML::Node& root, const std::string& base_dir,
                      const std::string& context_override) {
  if (!root || !root.IsMap()) return std::string("kubeconfig is not a YAML mapping");
  const std::string context_name =
      context_override.empty() ? scalar(root, "current-context") : context_override;
  if (context_name.empty()) return std::string("kubeconfig has no current-context");
  const auto context = named_entry(root, "contexts", "context", context_name);
  if (!context) return "kubeconfig has no context named '" + context_name + "'";

  const std::string cluster_name = scalar(*context, "cluster");
  const auto found_cluster = named_entry(root, "clusters", "cluster", cluster_name);
  if (!found_cluster) return "kubeconfig has no cluster named '" + cluster_name + "'";
  const YAML::Node& cluster = *found_cluster;

  KubeConfig config;
  config.server = scalar(cluster, "server");
  if (config.server.empty()) return "cluster '" + cluster_name + "' has no server";
  config.insecure_skip_tls_verify = is_true(scalar(cluster, "insecure-skip-tls-verify"));
  auto authority =
      pem_field(cluster, "certificate-authority-data", "certificate-authority", base_dir);
  if (!authority.error.empty()) return "cluster '" + cluster_name + "': " + authority.error;
  config.certificate_authority_pem = std::move(authority.pem);
  if (const std::string ns = scalar(*context, "namespace"); !ns.empty()) config.namespace_name = ns;

  const std::string user_name = scalar(*context, "user");
  if (user_name.empty()) return config;  // anonymous
  const auto found_user = named_entry(root, "users", "user", user_name);
  if (!found_user) return "kubeconfig has no user named '" + user_name + "'";
  const YAML::Node& user = *found_user;
  const auto in_user = [&user_name](const std::string& problem) {
    return "user '" + user_name + "': " + problem;
  };

  auto certificate = pem_field(user, "client-certificate-data", "client-certificate", base_dir);
  if (!certificate.error.empty()) return in_user(certificate.error);
  auto key = pem_field(user, "client-key-data", "client-key", base_dir);
  if (!key.error.empty()) return in_user(key.error);
  config.client_certificate_pem = std::move(certificate.pem);
  config.client_key_pem = std::move(key.pem);
  if (config.client_certificate_pem.empty() != config.client_key_pem.empty())
    return in_user("a client certificate needs its key and a key its certificate");

  config.token = scalar(user, "token");
  if (config.token.empty()) {
    if (const std::string file = scalar(user, "tokenFile"); !file.empty()) {
      config.token_file = resolve(file, base_dir);
      if (!read_file(config.token_file)) return in_user("cannot read " + config.token_file);
    }
  }
  const bool has_credentials = !config.client_certificate_pem.empty() || !config.token.empty() ||
                               !config.token_file.empty();
  if (!has_credentials && (user["exec"] || user["auth-provider"]))
    return in_user("exec and auth-provider credential plugins are not supported");
  if (!has_credentials && user["username"])
    return in_user("basic authentication is not supported");
  return config;
}

constexpr std::array<signed char, 256> make_base64_table() {
  std::array<signed char, 256> table{};
  for (auto& entry : table) entry = -1;
  constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int i = 0; i < 64; ++i)
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<signed char>(i);
  return table;
}

}  // namespace

std::optional<std::string> decode_base64(std::string_view text) {
  static constexpr auto kTable = make_base64_table();
  std::string decoded;
  decoded.reserve(text.size() / 4 * 3);
  unsigned int buffer = 0;
  int bits = 0;
  std::size_t padding = 0;
  for (const char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    const signed char value = kTable[static_cast<unsigned char>(c)];
    if (value < 0 || padding > 0) return std::nullopt;  // a foreign byte, or data after '='
    buffer = (buffer << 6) | static_cast<unsigned int>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      decoded += static_cast<char>((buffer >> bits) & 0xFFu);
    }
  }
  // Leftover bits are padding zeros; 6 left over means a lone trailing character.
  if (bits >= 6 || padding > 2) return std::nullopt;
  return decoded;
}

std::variant<ServerAddress, std::string> parse_server_url(std::string_view url) {
  ServerAddress address;
  std::string_view rest = url;
  if (rest.substr(0, 8) == "https://") {
    rest.remove_prefix(8);
  } else if (rest.substr(0, 7) == "http://") {
    address.tls = false;
    address.port = 80;
    rest.remove_prefix(7);
  } else {
    return "server URL must start with https:// or http://: " + std::string(url);
  }
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view path = rest.substr(slash);
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    address.base_path = std::string(path);
  }
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos)
      return "server URL has an unclosed '[': " + std::string(url);
    address.host = std::string(authority.substr(1, close - 1));
    const auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return "server URL has junk after ']': " + std::string(url);
      port_text = after.substr(1);
    }
  } else {
    const auto colon = authority.rfind(':');
    address.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (address.host.empty()) return "server URL has no host: " + std::string(url);
  if (address.host.find('@') != std::string::npos)
    return "server URL must not carry credentials: " + std::string(url);
  if (!port_text.empty()) {
    int port = 0;
    const char* const port_end = port_text.data() + port_text.size();
    const auto [end, status] = std::from_chars(port_text.data(), port_end, port);
    if (status != std::errc() || end != port_end || port < 1 || port > 65535)
      return "server URL has an invalid port: " + std::string(url);
    address.port = port;
  }
  return address;
}

std::variant<KubeConfig, std::string> parse_kubeconfig(std::string_view yaml,
                                                       const std::string& base_dir,
                                                       const std::string& context) {
  // yaml-cpp reports everything by exception; none may leave this boundary.
  try {
    return parse_document(YAML::Load(std::string(yaml)), base_dir, context);
  } catch (const YAML::Exception& error) {
    return std::string("kubeconfig is not valid YAML: ") + error.what();
  }
}

std::variant<KubeConfig, std::string> load_kubeconfig_file(const std::string& path_list,
                                                           const std::string& context) {
  std::string tried;
  std::size_t start = 0;
  while (start <= path_list.size()) {
    const auto end = std::min(path_list.find(':', start), path_list.size());
    const std::string path = path_list.substr(start, end - start);
    start = end + 1;
    if (path.empty()) continue;
    const auto content = read_file(path);
    if (!content) {
      tried += (tried.empty() ? "" : ", ") + path;
      continue;
    }
    auto loaded = parse_kubeconfig(*content, directory_of(path), context);
    if (auto* error = std::get_if<std::string>(&loaded)) return *error + " (" + path + ")";
    return loaded;
  }
  if (tried.empty()) return std::string("no kubeconfig path given");
  return "cannot read kubeconfig " + tried;
}

std::variant<KubeConfig, std::string> load_in_cluster_config(
    const InClusterEnvironment& environment) {
  if (environment.service_host.empty() || environment.service_port.empty())
    return std::string(
        "not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are unset");
  KubeConfig config;
  const bool ipv6 = environment.service_host.find(':') != std::string::npos;
  const std::string& host = environment.service_host;
  config.server = "https://" + (ipv6 ? "[" + host + "]" : host) + ":" + environment.service_port;
  const std::string& dir = environment.service_account_dir;
  config.token_file = dir + "/token";
  if (!read_file(config.token_file)) return "cannot read " + config.token_file;
  auto authority = read_file(dir + "/ca.crt");
  if (!authority) return "cannot read " + dir + "/ca.crt";
  config.certificate_authority_pem = std::move(*authority);
  if (auto ns = read_file(dir + "/namespace")) {
    if (std::string trimmed = trim(std::move(*ns)); !trimmed.empty())
      config.namespace_name = std::move(trimmed);
  }
  return config;
}

std::variant<KubeConfig, std::string> load_default_config(const char* kubeconfig_env,
                                                          const InClusterEnvironment& environment) {
  if (kubeconfig_env != nullptr && *kubeconfig_env != '\0')
    return load_kubeconfig_file(kubeconfig_env);
  return load_in_cluster_config(environment);
}

}  // namespace autocanary::kube

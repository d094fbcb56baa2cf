#include "kube/kube_config.h"

#include <gtest/gtest.h>

namespace autocanary::kube {
namespace {

const std::string kKubeDir = std::string(AUTOCANARY_TESTDATA_DIR) + "/kube";
const std::string kFixtureCa =
    "-----BEGIN CERTIFICATE-----\nfixture cluster authority\n-----END CERTIFICATE-----\n";

KubeConfig loaded(const std::variant<KubeConfig, std::string>& result) {
  if (const auto* error = std::get_if<std::string>(&result)) {
    ADD_FAILURE() << *error;
    return {};
  }
  return std::get<KubeConfig>(result);
}

std::string failure(const std::variant<KubeConfig, std::string>& result) {
  if (std::holds_alternative<KubeConfig>(result)) {
    ADD_FAILURE() << "expected an error";
    return {};
  }
  return std::get<std::string>(result);
}

TEST(KubeConfigTest, CurrentContextWithInlineCredentials) {
  const auto config = loaded(load_kubeconfig_file(kKubeDir + "/kubeconfig-inline.yaml"));
  EXPECT_EQ(config.server, "https://127.0.0.1:6443");
  EXPECT_EQ(config.certificate_authority_pem, kFixtureCa);
  EXPECT_EQ(config.client_certificate_pem,
            "-----BEGIN CERTIFICATE-----\nfixture client certificate\n-----END CERTIFICATE-----\n");
  EXPECT_EQ(config.client_key_pem, "fixture client key, not key material\n");
  EXPECT_FALSE(config.insecure_skip_tls_verify);
  EXPECT_TRUE(config.token.empty());
  EXPECT_EQ(config.namespace_name, "shop");
}

TEST(KubeConfigTest, ChosenContextWithTokenAndInsecureCluster) {
  const auto config = loaded(load_kubeconfig_file(kKubeDir + "/kubeconfig-inline.yaml", "prod"));
  EXPECT_EQ(config.server, "https://kube.example.com/prefix/");
  EXPECT_TRUE(config.insecure_skip_tls_verify);
  EXPECT_TRUE(config.certificate_authority_pem.empty());
  EXPECT_EQ(config.token, "fixture-static-token");
  EXPECT_EQ(config.namespace_name, "default");
}

TEST(KubeConfigTest, FileNamesAreResolvedAgainstTheKubeconfigDirectory) {
  const auto config = loaded(load_kubeconfig_file(kKubeDir + "/kubeconfig-files.yaml"));
  EXPECT_EQ(config.server, "https://[::1]:8443");
  EXPECT_EQ(config.certificate_authority_pem, kFixtureCa);
  EXPECT_EQ(config.client_key_pem, "fixture client key, not key material\n");
}

TEST(KubeConfigTest, TokenFileIsKeptAsAPathToReadAgain) {
  const auto config = loaded(load_kubeconfig_file(kKubeDir + "/kubeconfig-files.yaml", "token"));
  EXPECT_EQ(config.token_file, kKubeDir + "/token");
  EXPECT_TRUE(config.token.empty());
}

TEST(KubeConfigTest, InlineDataWinsOverFileNames) {
  const std::string yaml = R"(
current-context: c
clusters: [{name: k, cluster: {server: "https://h", certificate-authority: missing.pem,
                                certificate-authority-data: "aGVsbG8="}}]
contexts: [{name: c, context: {cluster: k}}]
)";
  EXPECT_EQ(loaded(parse_kubeconfig(yaml, kKubeDir)).certificate_authority_pem, "hello");
}

TEST(KubeConfigTest, ExplainsWhatIsMissingOrUnsupported) {
  const std::string files = kKubeDir + "/kubeconfig-files.yaml";
  EXPECT_NE(failure(load_kubeconfig_file(files, "nope")).find("no context named 'nope'"),
            std::string::npos);
  EXPECT_NE(failure(load_kubeconfig_file(files, "dangling")).find("no cluster named 'nowhere'"),
            std::string::npos);
  EXPECT_NE(failure(load_kubeconfig_file(files, "plugin")).find("not supported"),
            std::string::npos);
  EXPECT_NE(failure(load_kubeconfig_file(files, "half")).find("needs its key"), std::string::npos);
  EXPECT_NE(failure(load_kubeconfig_file(files, "missing-file")).find("no-such-key.pem"),
            std::string::npos);
  EXPECT_NE(failure(load_kubeconfig_file(kKubeDir + "/absent.yaml")).find("cannot read"),
            std::string::npos);
}

TEST(KubeConfigTest, MalformedYamlIsAnErrorNotAnException) {
  EXPECT_NE(failure(parse_kubeconfig("clusters: [unclosed", ".")).find("not valid YAML"),
            std::string::npos);
  EXPECT_NE(failure(parse_kubeconfig("- a list", ".")).find("not a YAML mapping"),
            std::string::npos);
  EXPECT_NE(failure(parse_kubeconfig("current-context: x\ncontexts: 5\n", ".")).find("no context"),
            std::string::npos);
  const std::string bad_base64 = R"(
current-context: c
clusters: [{name: k, cluster: {server: "https://h", certificate-authority-data: "%%%"}}]
contexts: [{name: c, context: {cluster: k}}]
)";
  EXPECT_NE(failure(parse_kubeconfig(bad_base64, ".")).find("not base64"), std::string::npos);
}

TEST(KubeConfigTest, KubeconfigListUsesTheFirstExistingFile) {
  const auto config = loaded(load_kubeconfig_file(kKubeDir + "/absent.yaml:" + kKubeDir +
                                                  "/kubeconfig-inline.yaml"));
  EXPECT_EQ(config.server, "https://127.0.0.1:6443");
}

TEST(KubeConfigTest, InClusterUsesServiceVariablesAndMountedAccount) {
  const auto config = loaded(
      load_in_cluster_config({"10.96.0.1", "443", kKubeDir + "/serviceaccount"}));
  EXPECT_EQ(config.server, "https://10.96.0.1:443");
  EXPECT_EQ(config.token_file, kKubeDir + "/serviceaccount/token");
  EXPECT_EQ(config.certificate_authority_pem, kFixtureCa);
  EXPECT_EQ(config.namespace_name, "autocanary-system");
}

TEST(KubeConfigTest, InClusterBracketsIpv6Hosts) {
  const auto config =
      loaded(load_in_cluster_config({"fd00::1", "443", kKubeDir + "/serviceaccount"}));
  EXPECT_EQ(config.server, "https://[fd00::1]:443");
}

TEST(KubeConfigTest, OutsideAClusterInClusterConfigSaysSo) {
  EXPECT_NE(failure(load_in_cluster_config({"", "", kKubeDir + "/serviceaccount"}))
                .find("not running in a cluster"),
            std::string::npos);
  EXPECT_NE(failure(load_in_cluster_config({"10.96.0.1", "443", kKubeDir + "/nothing"}))
                .find("cannot read"),
            std::string::npos);
}

TEST(KubeConfigTest, DefaultPrefersKubeconfigOverInCluster) {
  const InClusterEnvironment in_cluster{"10.96.0.1", "443", kKubeDir + "/serviceaccount"};
  const std::string path = kKubeDir + "/kubeconfig-inline.yaml";
  EXPECT_EQ(loaded(load_default_config(path.c_str(), in_cluster)).server, "https://127.0.0.1:6443");
  EXPECT_EQ(loaded(load_default_config(nullptr, in_cluster)).server, "https://10.96.0.1:443");
  EXPECT_EQ(loaded(load_default_config("", in_cluster)).server, "https://10.96.0.1:443");
}

TEST(KubeConfigTest, DecodesBase64WithOrWithoutPaddingAndLineBreaks) {
  EXPECT_EQ(decode_base64("aGVsbG8="), "hello");
  EXPECT_EQ(decode_base64("aGVsbG8"), "hello");
  EXPECT_EQ(decode_base64("aGVs\nbG8h"), "hello!");
  EXPECT_EQ(decode_base64(""), "");
  EXPECT_FALSE(decode_base64("aGVsbG8=x").has_value());
  EXPECT_FALSE(decode_base64("a").has_value());
  EXPECT_FALSE(decode_base64("a*b=").has_value());
}

ServerAddress address(std::string_view url) {
  auto parsed = parse_server_url(url);
  if (const auto* error = std::get_if<std::string>(&parsed)) {
    ADD_FAILURE() << *error;
    return {};
  }
  return std::get<ServerAddress>(parsed);
}

TEST(KubeConfigTest, ParsesServerUrls) {
  const auto https = address("https://127.0.0.1:6443");
  EXPECT_TRUE(https.tls);
  EXPECT_EQ(https.host, "127.0.0.1");
  EXPECT_EQ(https.port, 6443);
  EXPECT_EQ(https.base_path, "");

  const auto defaults = address("https://kube.example.com");
  EXPECT_EQ(defaults.port, 443);
  EXPECT_EQ(address("http://localhost").port, 80);
  EXPECT_FALSE(address("http://localhost:8001").tls);

  const auto ipv6 = address("https://[::1]:8443/k8s/clusters/c-1/");
  EXPECT_EQ(ipv6.host, "::1");
  EXPECT_EQ(ipv6.port, 8443);
  EXPECT_EQ(ipv6.base_path, "/k8s/clusters/c-1");
}

TEST(KubeConfigTest, RejectsUnusableServerUrls) {
  for (const char* bad : {"ftp://host", "host:6443", "https://", "https://:6443", "https://h:0",
                          "https://h:99999", "https://h:x", "https://[::1", "https://user@h"}) {
    SCOPED_TRACE(bad);
    EXPECT_TRUE(std::holds_alternative<std::string>(parse_server_url(bad)));
  }
}

}  // namespace
}  // namespace autocanary::kube

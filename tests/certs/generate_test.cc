#include "certs/generate.h"

#include <gtest/gtest.h>

#include <openssl/x509v3.h>

#include "certs/certified_key.h"

namespace autocanary::certs {
namespace {

Authority must(std::variant<Authority, std::string> result) {
  if (auto* error = std::get_if<std::string>(&result)) ADD_FAILURE() << *error;
  return std::move(std::get<Authority>(result));
}

bool verifies(X509* ca, X509* leaf) {
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca);
  X509_STORE_CTX* context = X509_STORE_CTX_new();
  X509_STORE_CTX_init(context, store, leaf, nullptr);
  const bool ok = X509_verify_cert(context) == 1;
  X509_STORE_CTX_free(context);
  X509_STORE_free(store);
  return ok;
}

TEST(GenerateTest, ServingCertificateChainsToItsAuthorityWithTheRequestedNames) {
  const Authority ca = must(generate_authority("test-ca", std::chrono::hours(24)));
  ServingCertRequest request;
  request.dns_names = {"autocanary-webhook.autocanary-system.svc", "localhost"};
  request.ip_addresses = {"127.0.0.1"};
  const Authority serving = must(issue_serving_certificate(ca, request));

  EXPECT_TRUE(verifies(ca.certificate.get(), serving.certificate.get()));
  EXPECT_EQ(X509_check_host(serving.certificate.get(), "autocanary-webhook.autocanary-system.svc", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(serving.certificate.get(), "127.0.0.1", 0), 1);
  EXPECT_NE(X509_check_host(serving.certificate.get(), "evil.example.com", 0, 0, nullptr), 1);
  EXPECT_EQ(common_name(serving.certificate.get()), "autocanary-webhook.autocanary-system.svc");

  const Authority other_ca = must(generate_authority("other", std::chrono::hours(24)));
  EXPECT_FALSE(verifies(other_ca.certificate.get(), serving.certificate.get()));
}

TEST(GenerateTest, PemRoundTripLoadsAndChecksTheKey) {
  const Authority ca = must(generate_authority("test-ca", std::chrono::hours(1)));
  ServingCertRequest request;
  request.ip_addresses = {"127.0.0.1"};
  const Authority serving = must(issue_serving_certificate(ca, request));
  auto loaded = load_certified_key(to_pem(serving.certificate.get()), to_pem(serving.key.get()));
  EXPECT_TRUE(std::holds_alternative<CertifiedKey>(loaded));

  auto mismatched = load_certified_key(to_pem(serving.certificate.get()), to_pem(ca.key.get()));
  ASSERT_TRUE(std::holds_alternative<std::string>(mismatched));
  EXPECT_EQ(std::get<std::string>(mismatched), "private key does not match the certificate");

  auto garbage = load_certified_key("nope", to_pem(serving.key.get()));
  ASSERT_TRUE(std::holds_alternative<std::string>(garbage));
  EXPECT_NE(std::get<std::string>(garbage).find("certificate is not valid PEM"), std::string::npos);
}

TEST(GenerateTest, ServingCertificateNeedsAName) {
  const Authority ca = must(generate_authority("test-ca", std::chrono::hours(1)));
  auto result = issue_serving_certificate(ca, ServingCertRequest{});
  ASSERT_TRUE(std::holds_alternative<std::string>(result));
}

}  // namespace
}  // namespace autocanary::certs

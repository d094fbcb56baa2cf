#include "certs/certificate_material.h"

#include <gtest/gtest.h>

#include "certs/ca_bundle.h"
#include "certs/certified_key.h"
#include "certs/generate.h"

namespace autocanary::certs {
namespace {

using std::chrono::seconds;

// Certificates keep whole seconds.
const TimePoint kStart = std::chrono::floor<seconds>(std::chrono::system_clock::now());

MaterialRequest request() {
  MaterialRequest wanted;
  wanted.names = ServingNames{{"hook.ns.svc", "hook.ns.svc.cluster.local"}, {"127.0.0.1"}};
  wanted.lifetimes = Lifetimes{seconds(90), seconds(30)};
  return wanted;
}

CertificateMaterial must(std::variant<CertificateMaterial, std::string> result) {
  if (auto* error = std::get_if<std::string>(&result)) ADD_FAILURE() << *error;
  return std::get<CertificateMaterial>(std::move(result));
}

std::vector<CertificateInfo> bundle_of(const std::string& pem) {
  std::vector<CertificateInfo> infos;
  auto parsed = parse_certificates(pem);
  for (const auto& certificate : std::get<std::vector<X509Ptr>>(parsed)) infos.push_back(*inspect(certificate.get()));
  return infos;
}

std::string fingerprint(const std::string& pem) { return bundle_of(pem).front().fingerprint; }

TEST(CertificateMaterialTest, EmptyMaterialGetsACaAndAServingCertificateWithTheRequestedNames) {
  const CertificateMaterial empty;
  EXPECT_EQ(assess(empty, request(), kStart).action, RenewalAction::kNewAuthority);
  const auto material = must(renew(empty, RenewalAction::kNewAuthority, request(), kStart));

  const auto current = examine(material);
  ASSERT_TRUE(current.authority && current.serving);
  EXPECT_TRUE(current.authority->is_authority);
  EXPECT_TRUE(current.serving_issued_by_authority);
  EXPECT_TRUE(has_names(*current.serving, request().names));
  EXPECT_EQ(current.serving->not_after, kStart + seconds(30)) << "issued on the given clock";
  EXPECT_EQ(bundle_of(material.ca_bundle).size(), 1u);
  EXPECT_EQ(fingerprint(material.ca_bundle), fingerprint(material.ca_cert));
  const auto decision = assess(material, request(), kStart + seconds(5));
  EXPECT_EQ(decision.action, RenewalAction::kKeep);
  EXPECT_EQ(decision.reason, "");
}

TEST(CertificateMaterialTest, ServingRenewalKeepsTheCaAndTheBundle) {
  const auto first = must(renew({}, RenewalAction::kNewAuthority, request(), kStart));
  const auto later = kStart + seconds(21);  // 9s of 30s left
  ASSERT_EQ(assess(first, request(), later).action, RenewalAction::kIssueServing);
  const auto renewed = must(renew(first, RenewalAction::kIssueServing, request(), later));
  EXPECT_EQ(renewed.ca_cert, first.ca_cert);
  EXPECT_EQ(renewed.ca_key, first.ca_key);
  EXPECT_EQ(renewed.ca_bundle, first.ca_bundle);
  EXPECT_NE(renewed.tls_cert, first.tls_cert);
  EXPECT_TRUE(examine(renewed).serving_issued_by_authority);
}

TEST(CertificateMaterialTest, CaRotationKeepsTheOldCaTrustedUntilItExpires) {
  const auto first = must(renew({}, RenewalAction::kNewAuthority, request(), kStart));
  const auto rotation = kStart + seconds(61);  // 29s of the CA left: less than a serving lifetime
  ASSERT_EQ(assess(first, request(), rotation).action, RenewalAction::kNewAuthority);
  const auto rotated = must(renew(first, RenewalAction::kNewAuthority, request(), rotation));
  EXPECT_NE(fingerprint(rotated.ca_cert), fingerprint(first.ca_cert));
  const auto bundle = bundle_of(rotated.ca_bundle);
  ASSERT_EQ(bundle.size(), 2u);
  EXPECT_EQ(bundle[0].fingerprint, fingerprint(rotated.ca_cert)) << "the signing CA first";
  EXPECT_EQ(bundle[1].fingerprint, fingerprint(first.ca_cert));
  EXPECT_TRUE(examine(rotated).serving_issued_by_authority);

  // Once the old CA has expired (at +90s), only the bundle changes.
  const auto renewed = must(renew(rotated, RenewalAction::kIssueServing, request(), kStart + seconds(82)));
  const auto expired = kStart + seconds(91);
  const auto decision = assess(renewed, request(), expired);
  EXPECT_EQ(decision.action, RenewalAction::kKeep);
  EXPECT_EQ(decision.reason, "the CA bundle is out of date");
  const auto pruned = must(renew(renewed, RenewalAction::kKeep, request(), expired));
  EXPECT_EQ(pruned.tls_cert, renewed.tls_cert);
  ASSERT_EQ(bundle_of(pruned.ca_bundle).size(), 1u);
  EXPECT_EQ(fingerprint(pruned.ca_bundle), fingerprint(rotated.ca_cert));
}

TEST(CertificateMaterialTest, ServingCertificateNeverOutlivesItsCa) {
  MaterialRequest wanted = request();
  const auto first = must(renew({}, RenewalAction::kNewAuthority, wanted, kStart));
  const auto late = kStart + seconds(80);  // the CA has 10s left
  const auto renewed = must(renew(first, RenewalAction::kIssueServing, wanted, late));
  EXPECT_EQ(examine(renewed).serving->not_after, examine(renewed).authority->not_after);
}

TEST(CertificateMaterialTest, BrokenOrMismatchedPairsAreNotUsable) {
  auto material = must(renew({}, RenewalAction::kNewAuthority, request(), kStart));
  auto other = must(renew({}, RenewalAction::kNewAuthority, request(), kStart));
  material.tls_key = other.tls_key;
  EXPECT_FALSE(examine(material).serving);
  EXPECT_EQ(assess(material, request(), kStart).action, RenewalAction::kIssueServing);
  material.tls_cert = other.tls_cert;
  EXPECT_FALSE(examine(material).serving_issued_by_authority) << "a valid pair, but from another CA";
  material.ca_cert = "garbage";
  EXPECT_EQ(assess(material, request(), kStart).action, RenewalAction::kNewAuthority);
}

TEST(CaBundleTest, MergePutsTheCurrentCaFirstAndDropsDuplicatesAndExpiredOnes) {
  const auto old_ca = std::get<Authority>(generate_authority("old", seconds(60), kStart));
  const auto new_ca = std::get<Authority>(generate_authority("new", seconds(600), kStart));
  const std::string old_pem = to_pem(old_ca.certificate.get());
  const std::string new_pem = to_pem(new_ca.certificate.get());

  const auto merged = merge_ca_bundle(old_pem + old_pem, new_pem, kStart);
  EXPECT_EQ(merged, new_pem + old_pem);
  EXPECT_EQ(merge_ca_bundle(merged, new_pem, kStart), merged) << "merging again changes nothing";
  EXPECT_EQ(merge_ca_bundle(merged, new_pem, kStart + seconds(61)), new_pem) << "the old CA expired";
  EXPECT_EQ(merge_ca_bundle("not pem", new_pem, kStart), new_pem);
  EXPECT_EQ(merge_ca_bundle(old_pem, "not pem", kStart), "");
}

TEST(CertificateInfoTest, ReadsNamesValidityAndIssuer) {
  const auto ca = std::get<Authority>(generate_authority("ca", seconds(600), kStart));
  ServingCertRequest wanted;
  wanted.dns_names = {"hook.ns.svc"};
  wanted.ip_addresses = {"127.0.0.1", "::1"};
  wanted.validity = seconds(30);
  wanted.issued_at = kStart;
  const auto serving = std::get<Authority>(issue_serving_certificate(ca, wanted));
  const auto info = inspect(serving.certificate.get());
  ASSERT_TRUE(info);
  EXPECT_EQ(info->dns_names, std::vector<std::string>{"hook.ns.svc"});
  EXPECT_EQ(info->ip_addresses, (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_EQ(info->not_before, kStart - seconds(60));
  EXPECT_EQ(info->not_after, kStart + seconds(30));
  EXPECT_FALSE(info->is_authority);
  EXPECT_EQ(info->fingerprint.size(), 64u);
  EXPECT_TRUE(issued_by(serving.certificate.get(), ca.certificate.get()));
  const auto other = std::get<Authority>(generate_authority("ca", seconds(600), kStart));
  EXPECT_FALSE(issued_by(serving.certificate.get(), other.certificate.get())) << "same name, other key";
  EXPECT_EQ(canonical_ip("0:0::1"), "::1");
  EXPECT_EQ(canonical_ip("hook"), "");
}

}  // namespace
}  // namespace autocanary::certs

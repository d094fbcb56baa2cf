#include "certs/renewal.h"

#include <gtest/gtest.h>

namespace autocanary::certs {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

const TimePoint kNow = std::chrono::system_clock::from_time_t(1'800'000'000);

CertificateInfo valid_for(seconds left, seconds lived, bool authority = false) {
  CertificateInfo info;
  info.not_before = kNow - lived;
  info.not_after = kNow + left;
  info.is_authority = authority;
  info.dns_names = {"hook.ns.svc"};
  info.ip_addresses = {"127.0.0.1"};
  return info;
}

struct RenewalTest : ::testing::Test {
  Lifetimes lifetimes{hours(300), hours(90)};
  ServingNames names{{"hook.ns.svc"}, {"127.0.0.1"}};
  CurrentCertificates fresh() {
    return CurrentCertificates{valid_for(hours(290), hours(10), true), valid_for(hours(80), hours(10)), true};
  }
  RenewalAction decide(const CurrentCertificates& current) {
    return decide_renewal(current, names, lifetimes, kNow).action;
  }
};

TEST_F(RenewalTest, FreshMaterialIsKept) {
  const auto decision = decide_renewal(fresh(), names, lifetimes, kNow);
  EXPECT_EQ(decision.action, RenewalAction::kKeep);
  EXPECT_EQ(decision.reason, "");
}

TEST_F(RenewalTest, NothingYetStartsWithANewAuthority) {
  EXPECT_EQ(decide(CurrentCertificates{}), RenewalAction::kNewAuthority);
  auto not_a_ca = fresh();
  not_a_ca.authority->is_authority = false;
  EXPECT_EQ(decide(not_a_ca), RenewalAction::kNewAuthority);
}

TEST_F(RenewalTest, ServingCertificateIsRenewedWhenAThirdOfItsLifetimeIsLeft) {
  auto current = fresh();
  current.serving = valid_for(hours(31), hours(59));
  EXPECT_EQ(decide(current), RenewalAction::kKeep);
  current.serving = valid_for(hours(29), hours(61));
  const auto decision = decide_renewal(current, names, lifetimes, kNow);
  EXPECT_EQ(decision.action, RenewalAction::kIssueServing);
  EXPECT_NE(decision.reason.find("left of a 324000s lifetime"), std::string::npos) << decision.reason;
  current.serving = valid_for(-hours(1), hours(91));
  EXPECT_EQ(decide(current), RenewalAction::kIssueServing) << "expired";
}

TEST_F(RenewalTest, AShortenedLifetimeRenewsAtOnce) {
  lifetimes.serving = seconds(30);
  EXPECT_EQ(decide(fresh()), RenewalAction::kIssueServing) << "80h left of a 30s lifetime";
  lifetimes = Lifetimes{seconds(90), seconds(30)};
  EXPECT_EQ(decide(fresh()), RenewalAction::kNewAuthority) << "the CA outlives its new lifetime too";
}

TEST_F(RenewalTest, ServingCertificateIsReissuedForOtherNamesOrAnotherCa) {
  auto current = fresh();
  names.dns_names.push_back("hook.ns.svc.cluster.local");
  EXPECT_EQ(decide(current), RenewalAction::kIssueServing);
  names = ServingNames{{"hook.ns.svc"}, {"127.0.0.1"}};
  current.serving_issued_by_authority = false;
  EXPECT_EQ(decide(current), RenewalAction::kIssueServing);
  current.serving.reset();
  EXPECT_EQ(decide(current), RenewalAction::kIssueServing);
}

TEST_F(RenewalTest, CaIsReplacedWhileItCanStillCoverAWholeServingCertificate) {
  auto current = fresh();
  current.authority = valid_for(hours(101), hours(199), true);  // more than a third and than 90h
  EXPECT_EQ(decide(current), RenewalAction::kKeep);
  current.authority = valid_for(hours(99), hours(201), true);   // a third is 100h
  EXPECT_EQ(decide(current), RenewalAction::kNewAuthority);
  lifetimes = Lifetimes{hours(300), hours(150)};
  current.authority = valid_for(hours(140), hours(160), true);  // more than a third, less than 150h
  EXPECT_EQ(decide(current), RenewalAction::kNewAuthority);
}

TEST_F(RenewalTest, NamesCompareAsSetsWithCanonicalIps) {
  CertificateInfo info;
  info.dns_names = {"b", "a"};
  info.ip_addresses = {"::1", "10.0.0.1"};
  EXPECT_TRUE(has_names(info, ServingNames{{"a", "b"}, {"10.0.0.1", "0:0:0:0:0:0:0:1"}}));
  EXPECT_FALSE(has_names(info, ServingNames{{"a"}, {"10.0.0.1", "::1"}}));
  EXPECT_FALSE(has_names(info, ServingNames{{"a", "b"}, {"10.0.0.1"}}));
}

}  // namespace
}  // namespace autocanary::certs

#include "webhook/server/self_managed_certificates.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "certs/certified_key.h"
#include "kube/kube_config.h"
#include "kube/resources.h"
#include "webhook/review/admission_review.h"

namespace autocanary::server {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// Objects by "resource/namespace/name" with resourceVersions: a conditional update
// of a stale object is a Conflict, as from the apiserver.
class InMemoryKubeClient final : public kube::KubeClient {
 public:
  void put(const kube::ResourceRef& ref, json object) {
    object["metadata"]["resourceVersion"] = std::to_string(++version_);
    objects_[key(ref)] = std::move(object);
  }
  json& at(const kube::ResourceRef& ref) { return objects_.at(key(ref)); }
  void erase(const kube::ResourceRef& ref) { objects_.erase(key(ref)); }
  int updates(const std::string& resource) const { return updates_.count(resource) ? updates_.at(resource) : 0; }

  // Runs before an update is checked, once: another replica writing in between.
  std::function<void()> before_next_update;

  kube::Result<json> get(const kube::ResourceRef& ref) override {
    const auto found = objects_.find(key(ref));
    if (found == objects_.end()) return kube::KubeError{404, "NotFound", ref.name + " not found", false};
    return found->second;
  }
  kube::Result<json> update(const kube::ResourceRef& ref, const json& object) override {
    if (auto hook = std::exchange(before_next_update, nullptr)) hook();
    const auto found = objects_.find(key(ref));
    if (found == objects_.end()) return kube::KubeError{404, "NotFound", ref.name + " not found", false};
    if (object["metadata"]["resourceVersion"] != found->second["metadata"]["resourceVersion"])
      return kube::KubeError{409, "Conflict", "the object has been modified", false};
    ++updates_[ref.resource];
    put(ref, object);
    return objects_.at(key(ref));
  }
  kube::Result<kube::ObjectList> list(const kube::ResourceRef&, const kube::ListOptions&) override { return refuse(); }
  kube::Result<json> create(const kube::ResourceRef&, const json&) override { return refuse(); }
  kube::Result<json> patch(const kube::ResourceRef&, const json&, const kube::PatchOptions&) override {
    return refuse();
  }
  kube::Result<json> remove(const kube::ResourceRef&, const kube::DeleteOptions&) override { return refuse(); }
  kube::Result<void> watch(const kube::ResourceRef&, const kube::WatchOptions&, const kube::WatchHandler&,
                           std::stop_token) override {
    return refuse();
  }

 private:
  static std::string key(const kube::ResourceRef& ref) {
    return ref.resource + "/" + ref.namespace_name + "/" + ref.name;
  }
  static kube::KubeError refuse() { return kube::KubeError{403, "Forbidden", "not granted to the webhook", false}; }

  std::map<std::string, json> objects_;
  std::map<std::string, int> updates_;
  int version_ = 0;
};

const kube::ResourceRef kSecret = kube::secrets("ac", "ac-webhook-tls");
const kube::ResourceRef kRegistration = kube::mutating_webhook_configurations("ac");

std::string read(const std::filesystem::path& path) {
  std::ifstream file(path);
  std::ostringstream content;
  content << file.rdbuf();
  return content.str();
}

std::string secret_field(InMemoryKubeClient& client, const char* key) {
  return kube::decode_base64(client.at(kSecret)["data"][key].get<std::string>()).value_or("");
}

struct Replica {
  std::filesystem::path dir;
  common::Logger logger{common::LogLevel::kError};
  common::MetricsRegistry metrics;
  std::unique_ptr<SelfManagedCertificates> certificates;

  Replica(InMemoryKubeClient& client, const std::filesystem::path& base, const std::string& name,
          std::chrono::system_clock::time_point& now) : dir(base / name) {
    std::filesystem::create_directories(dir);
    SelfManagedCertificateOptions options;
    options.namespace_name = "ac";
    options.secret_name = "ac-webhook-tls";
    options.webhook_configuration = "ac";
    options.request.names = certs::ServingNames{{"ac-webhook.ac.svc"}, {"127.0.0.1"}};
    options.request.lifetimes = certs::Lifetimes{90s, 30s};
    options.cert_file = (dir / "tls.crt").string();
    options.key_file = (dir / "tls.key").string();
    options.check_period = 5s;
    options.trust_delay = 4s;
    certificates = std::make_unique<SelfManagedCertificates>(client, options, [&now] { return now; }, logger,
                                                             metrics);
  }
  std::string served() const { return read(dir / "tls.crt"); }
  double metric(const std::string& name) const {
    const std::string text = metrics.render();
    const auto at = text.find("\n" + name + " ");
    return at == std::string::npos ? -1 : std::stod(text.substr(at + name.size() + 2));
  }
};

class SelfManagedCertificatesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("self-managed-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    // What the chart creates: an empty Secret and a registration without a caBundle.
    client_.put(kSecret, {{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", "ac-webhook-tls"}}}});
    client_.put(kRegistration, {{"metadata", {{"name", "ac"}}},
                                {"webhooks", {{{"name", "a"}, {"clientConfig", {{"url", "https://x/mutate"}}}},
                                              {{"name", "b"}, {"clientConfig", {{"url", "https://x/mutate"}}}}}}});
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string registered_bundle(std::size_t index = 0) {
    const auto& hook = client_.at(kRegistration)["webhooks"][index]["clientConfig"];
    return hook.contains("caBundle") ? kube::decode_base64(hook["caBundle"].get<std::string>()).value_or("") : "";
  }

  InMemoryKubeClient client_;
  std::filesystem::path dir_;
  std::chrono::system_clock::time_point now_ = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
};

TEST_F(SelfManagedCertificatesTest, FirstPassFillsTheSecretRegistersTheCaAndServesThePair) {
  Replica replica(client_, dir_, "a", now_);
  ASSERT_EQ(replica.certificates->sync(), "");

  EXPECT_EQ(registered_bundle(0), secret_field(client_, "ca-bundle.crt"));
  EXPECT_EQ(registered_bundle(1), secret_field(client_, "ca-bundle.crt")) << "every webhook of the registration";
  EXPECT_EQ(secret_field(client_, "ca-bundle.crt"), secret_field(client_, "ca.crt"));
  EXPECT_EQ(replica.served(), secret_field(client_, "tls.crt"));
  auto loaded = certs::load_certified_key_files((replica.dir / "tls.crt").string(), (replica.dir / "tls.key").string());
  EXPECT_TRUE(std::holds_alternative<certs::CertifiedKey>(loaded));
  EXPECT_EQ(std::filesystem::status(replica.dir / "tls.key").permissions() & std::filesystem::perms::group_read,
            std::filesystem::perms::none) << "the key is private";
  EXPECT_EQ(replica.metric("autocanary_webhook_certificate_renewals_total"), 1);
  EXPECT_EQ(replica.metric("autocanary_webhook_ca_bundle_updates_total"), 1);

  // Nothing due: nothing written.
  ASSERT_EQ(replica.certificates->sync(), "");
  EXPECT_EQ(client_.updates("secrets"), 1);
  EXPECT_EQ(client_.updates("mutatingwebhookconfigurations"), 1);
}

TEST_F(SelfManagedCertificatesTest, ARegistrationCreatedAfterTheWebhookStartedGetsItsCaBundleOnTheNextSecond) {
  // helm creates the MutatingWebhookConfiguration after the webhook's Deployment.
  const json registration = client_.at(kRegistration);
  client_.erase(kRegistration);
  Replica replica(client_, dir_, "a", now_);
  ASSERT_EQ(replica.certificates->sync(), "");
  EXPECT_EQ(replica.served(), secret_field(client_, "tls.crt")) << "nothing calls it without a registration";
  EXPECT_EQ(replica.certificates->next_check(), 1s) << "not the 5s check period";

  client_.put(kRegistration, registration);
  now_ += 1s;
  ASSERT_EQ(replica.certificates->sync(), "");
  EXPECT_EQ(registered_bundle(0), secret_field(client_, "ca-bundle.crt"));
  EXPECT_EQ(replica.certificates->next_check(), 5s);
}

TEST_F(SelfManagedCertificatesTest, ASecondReplicaAdoptsTheMaterialInsteadOfRenewing) {
  Replica a(client_, dir_, "a", now_);
  Replica b(client_, dir_, "b", now_);
  ASSERT_EQ(a.certificates->sync(), "");
  ASSERT_EQ(b.certificates->sync(), "");
  EXPECT_EQ(b.served(), a.served());
  EXPECT_EQ(client_.updates("secrets"), 1);
  EXPECT_EQ(b.metric("autocanary_webhook_certificate_renewals_total"), 0);
}

TEST_F(SelfManagedCertificatesTest, ReplicasRacingOnTheSecretEndWithOneMaterial) {
  Replica a(client_, dir_, "a", now_);
  Replica b(client_, dir_, "b", now_);
  // b read the empty Secret and generated its own; a writes first.
  client_.before_next_update = [&] { ASSERT_EQ(a.certificates->sync(), ""); };
  ASSERT_EQ(b.certificates->sync(), "");
  EXPECT_EQ(a.served(), secret_field(client_, "tls.crt"));
  EXPECT_EQ(b.served(), a.served()) << "the loser serves the winner's pair";
  EXPECT_EQ(registered_bundle(), secret_field(client_, "ca-bundle.crt"));
  EXPECT_EQ(client_.updates("secrets"), 1);
  EXPECT_EQ(b.metric("autocanary_webhook_certificate_renewals_total"), 0);
}

TEST_F(SelfManagedCertificatesTest, ServingRenewalUnderTheSameCaIsServedAtOnce) {
  Replica replica(client_, dir_, "a", now_);
  ASSERT_EQ(replica.certificates->sync(), "");
  const std::string first = replica.served();
  const std::string bundle = registered_bundle();
  now_ += 21s;  // 9s of 30s left
  ASSERT_EQ(replica.certificates->sync(), "");
  EXPECT_NE(replica.served(), first);
  EXPECT_EQ(replica.served(), secret_field(client_, "tls.crt"));
  EXPECT_EQ(registered_bundle(), bundle) << "same CA, same caBundle";
  EXPECT_EQ(client_.updates("mutatingwebhookconfigurations"), 1);
}

TEST_F(SelfManagedCertificatesTest, ACertificateFromANewCaIsServedOnlyAfterTheTrustDelay) {
  Replica a(client_, dir_, "a", now_);
  Replica b(client_, dir_, "b", now_);
  ASSERT_EQ(a.certificates->sync(), "");
  ASSERT_EQ(b.certificates->sync(), "");
  const std::string old_ca = secret_field(client_, "ca.crt");
  const std::string old_pair = a.served();

  now_ += 61s;  // the CA has 29s left: less than a serving lifetime
  ASSERT_EQ(a.certificates->sync(), "");
  const std::string new_ca = secret_field(client_, "ca.crt");
  ASSERT_NE(new_ca, old_ca);
  EXPECT_EQ(registered_bundle(), new_ca + old_ca) << "both CAs trusted while replicas switch";
  EXPECT_EQ(a.served(), old_pair) << "the apiserver may not know the new CA yet";
  EXPECT_EQ(a.certificates->next_check(), 4s);
  ASSERT_EQ(b.certificates->sync(), "");
  EXPECT_EQ(b.served(), old_pair);

  now_ += 2s;
  ASSERT_EQ(a.certificates->sync(), "");
  EXPECT_EQ(a.served(), old_pair);
  EXPECT_EQ(a.certificates->next_check(), 2s);
  now_ += 2s;
  ASSERT_EQ(a.certificates->sync(), "");
  EXPECT_EQ(a.served(), secret_field(client_, "tls.crt"));
  EXPECT_EQ(b.served(), old_pair) << "each replica switches on its own pass";
  now_ += 2s;
  ASSERT_EQ(b.certificates->sync(), "");
  EXPECT_EQ(b.served(), a.served());
  EXPECT_EQ(a.certificates->next_check(), 5s);
}

TEST_F(SelfManagedCertificatesTest, TheOldCaLeavesTheBundleOnceExpired) {
  Replica replica(client_, dir_, "a", now_);
  ASSERT_EQ(replica.certificates->sync(), "");
  now_ += 61s;
  ASSERT_EQ(replica.certificates->sync(), "");
  const std::string new_ca = secret_field(client_, "ca.crt");
  EXPECT_NE(registered_bundle(), new_ca);
  now_ += 20s;  // the serving certificate from the new CA is due
  ASSERT_EQ(replica.certificates->sync(), "");
  now_ += 10s;  // the first CA expired at +90s
  ASSERT_EQ(replica.certificates->sync(), "");
  EXPECT_EQ(registered_bundle(), new_ca);
  EXPECT_EQ(secret_field(client_, "ca-bundle.crt"), new_ca);
}

TEST_F(SelfManagedCertificatesTest, AMissingSecretIsReportedNotCreated) {
  InMemoryKubeClient empty;
  std::filesystem::create_directories(dir_);
  Replica replica(empty, dir_, "a", now_);
  const std::string error = replica.certificates->sync();
  EXPECT_NE(error.find("cannot read or renew the certificate Secret ac/ac-webhook-tls"), std::string::npos) << error;
  EXPECT_FALSE(std::filesystem::exists(replica.dir / "tls.crt"));
  EXPECT_EQ(replica.metric("autocanary_webhook_certificate_sync_errors_total"), 1);
}

}  // namespace
}  // namespace autocanary::server

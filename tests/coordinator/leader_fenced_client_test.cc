// The fence between the coordinator and the API: no write leaves a replica that
// does not lead, reads always do.
#include "coordinator/leader_fenced_client.h"

#include <gtest/gtest.h>

#include <atomic>

#include "tests/kube/scripted_kube_client.h"

namespace autocanary::coordinator {
namespace {

const kube::ResourceRef kJob{"batch", "v1", "jobs", "shop", "web-test", ""};

class LeaderFencedClientTest : public ::testing::Test {
 protected:
  testing::ScriptedKubeClient api;
  std::atomic<bool> leading{true};
  LeaderFencedClient fenced{api, [this] { return leading.load(); }};
};

TEST_F(LeaderFencedClientTest, WritesPassWhileLeading) {
  int updates = 0;
  api.on_update = [&](const kube::ResourceRef&, const nlohmann::json& object) -> kube::Result<nlohmann::json> {
    ++updates;
    return object;
  };
  EXPECT_TRUE(fenced.update(kJob, {{"metadata", {{"name", "web-test"}}}}).ok());
  EXPECT_EQ(updates, 1);
  // What the client answers, the fence hands back unchanged.
  const auto created = fenced.create(kJob, {{"metadata", {{"name", "web-test"}}}});
  ASSERT_FALSE(created.ok());
  EXPECT_NE(created.error().reason, kube::kReasonAborted);
}

TEST_F(LeaderFencedClientTest, NoWriteIsSentOnceTheLeaseIsLost) {
  int updates = 0;
  api.on_update = [&](const kube::ResourceRef&, const nlohmann::json& object) -> kube::Result<nlohmann::json> {
    ++updates;
    return object;
  };
  leading = false;
  const nlohmann::json job = {{"metadata", {{"name", "web-test"}}}};
  for (const auto& result : {fenced.create(kJob, job), fenced.update(kJob, job), fenced.patch(kJob, job, {}),
                             fenced.remove(kJob, {})}) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().reason, kube::kReasonAborted);
    EXPECT_FALSE(result.error().retryable);
    EXPECT_NE(result.error().message.find("jobs shop/web-test"), std::string::npos) << result.error().message;
    EXPECT_NE(result.error().message.find("no longer leads"), std::string::npos) << result.error().message;
  }
  EXPECT_EQ(updates, 0);
}

TEST_F(LeaderFencedClientTest, ReadsPassWithoutTheLease) {
  api.on_get = [](const kube::ResourceRef& ref) -> kube::Result<nlohmann::json> {
    return nlohmann::json{{"metadata", {{"name", ref.name}}}};
  };
  leading = false;
  const auto read = fenced.get(kJob);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read.value()["metadata"]["name"], "web-test");
}

}  // namespace
}  // namespace autocanary::coordinator

// update_with_conflict_retry, against a scripted client.
#include "kube/kube_client.h"

#include <gtest/gtest.h>

#include "tests/kube/scripted_kube_client.h"

namespace autocanary::kube {
namespace {

using nlohmann::json;

const ResourceRef kWeb{"apps", "v1", "deployments", "shop", "web", ""};

KubeError conflict() {
  return KubeError{409, "Conflict", "the object has been modified", false};
}

class ConflictRetryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client.on_get = [this](const ResourceRef& ref) -> Result<json> {
      EXPECT_EQ(ref, kWeb);
      ++reads;
      return json{{"metadata", {{"name", "web"}, {"resourceVersion", std::to_string(10 + reads)}}},
                  {"spec", {{"replicas", 1}}}};
    };
  }

  testing::ScriptedKubeClient client;
  int reads = 0;
  std::vector<json> writes;
};

TEST_F(ConflictRetryTest, ReadsAgainAfterAConflictAndWritesOnTheFreshVersion) {
  client.on_update = [this](const ResourceRef&, const json& object) -> Result<json> {
    writes.push_back(object);
    if (writes.size() == 1) return conflict();
    return object;
  };
  int mutations = 0;
  const auto written = update_with_conflict_retry(client, kWeb, [&mutations](json& object) {
    ++mutations;
    object["spec"]["replicas"] = 3;
    return true;
  });
  ASSERT_TRUE(written.ok()) << written.error().describe();
  EXPECT_EQ(mutations, 2);
  ASSERT_EQ(writes.size(), 2u);
  EXPECT_EQ(writes[0]["metadata"]["resourceVersion"], "11");
  EXPECT_EQ(writes[1]["metadata"]["resourceVersion"], "12");
  EXPECT_EQ(written.value()["spec"]["replicas"], 3);
}

TEST_F(ConflictRetryTest, AnObjectJustReadIsTheFirstAttemptsAndAConflictReadsAgain) {
  client.on_update = [this](const ResourceRef&, const json& object) -> Result<json> {
    writes.push_back(object);
    if (writes.size() == 1) return conflict();
    return object;
  };
  const json just_read = {{"metadata", {{"name", "web"}, {"resourceVersion", "7"}}}, {"spec", {{"replicas", 1}}}};
  const auto written = update_with_conflict_retry(client, kWeb, just_read, [](json& object) {
    object["spec"]["replicas"] = 3;
    return true;
  });
  ASSERT_TRUE(written.ok()) << written.error().describe();
  ASSERT_EQ(writes.size(), 2u);
  EXPECT_EQ(writes[0]["metadata"]["resourceVersion"], "7") << "written on the object given, without a read";
  EXPECT_EQ(writes[1]["metadata"]["resourceVersion"], "11") << "the retry reads the fresh version";
  EXPECT_EQ(reads, 1);
}

TEST_F(ConflictRetryTest, NoChangeMeansNoWrite) {
  client.on_update = [this](const ResourceRef&, const json& object) -> Result<json> {
    writes.push_back(object);
    return object;
  };
  const auto result = update_with_conflict_retry(client, kWeb, [](json&) { return false; });
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(writes.empty());
  EXPECT_EQ(result.value()["metadata"]["resourceVersion"], "11");
}

TEST_F(ConflictRetryTest, GivesUpAfterTheLastAttempt) {
  client.on_update = [this](const ResourceRef&, const json& object) -> Result<json> {
    writes.push_back(object);
    return conflict();
  };
  const auto result = update_with_conflict_retry(client, kWeb, [](json&) { return true; }, 3);
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.error().is_conflict());
  EXPECT_EQ(writes.size(), 3u);
  EXPECT_EQ(reads, 3);
}

TEST_F(ConflictRetryTest, OtherErrorsAreReturnedAtOnce) {
  client.on_update = [this](const ResourceRef&, const json& object) -> Result<json> {
    writes.push_back(object);
    return KubeError{422, "Invalid", "spec.replicas: must be non-negative", false};
  };
  const auto result = update_with_conflict_retry(client, kWeb, [](json&) { return true; });
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().reason, "Invalid");
  EXPECT_EQ(writes.size(), 1u);
}

TEST_F(ConflictRetryTest, AFailedReadIsReturned) {
  client.on_get = [](const ResourceRef&) -> Result<json> {
    return KubeError{404, "NotFound", "deployments.apps \"web\" not found", false};
  };
  const auto result = update_with_conflict_retry(client, kWeb, [](json&) { return true; });
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.error().is_not_found());
}

TEST(ResultTest, HoldsAValueOrAnError) {
  const Result<int> value = 7;
  ASSERT_TRUE(value);
  EXPECT_EQ(*value, 7);
  const Result<int> error = KubeError{404, "NotFound", "", false};
  ASSERT_FALSE(error);
  EXPECT_TRUE(error.error().is_not_found());
  const Result<void> done;
  EXPECT_TRUE(done.ok());
  const Result<void> failed = KubeError{0, kReasonConnectionFailed, "refused", true};
  EXPECT_FALSE(failed.ok());
  EXPECT_TRUE(failed.error().retryable);
}

}  // namespace
}  // namespace autocanary::kube

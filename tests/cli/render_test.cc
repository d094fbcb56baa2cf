#include "cli/render.h"

#include <gtest/gtest.h>

#include "tests/cli/cli_fixtures.h"

namespace autocanary::cli {
namespace {

using nlohmann::json;
using std::chrono::seconds;
using testing::at;

TEST(FormatAge, ReadsAsKubectlDoes) {
  EXPECT_EQ(format_age(seconds(0)), "0s");
  EXPECT_EQ(format_age(seconds(45)), "45s");
  EXPECT_EQ(format_age(seconds(119)), "119s");
  EXPECT_EQ(format_age(seconds(192)), "3m12s");
  EXPECT_EQ(format_age(seconds(300)), "5m");
  EXPECT_EQ(format_age(seconds(42 * 60)), "42m");
  EXPECT_EQ(format_age(seconds(5 * 3600 + 180)), "5h3m");
  EXPECT_EQ(format_age(seconds(20 * 3600)), "20h");
  EXPECT_EQ(format_age(seconds(3 * 86400 + 4 * 3600)), "3d4h");
  EXPECT_EQ(format_age(seconds(400 * 86400)), "400d");
  EXPECT_EQ(format_age(seconds(-5)), "0s");
}

TEST(StepMarker, SymbolsOnATerminalWordsWhenPiped) {
  const Style terminal{true};
  const Style plain{false};
  EXPECT_NE(step_marker(StepState::kDone, terminal).find("✔"), std::string::npos);
  EXPECT_NE(step_marker(StepState::kRunning, terminal).find("●"), std::string::npos);
  EXPECT_NE(step_marker(StepState::kFailed, terminal).find("✖"), std::string::npos);
  EXPECT_NE(step_marker(StepState::kWaiting, terminal).find("॥"), std::string::npos);
  EXPECT_EQ(step_marker(StepState::kDone, plain), "[done]");
  EXPECT_EQ(step_marker(StepState::kWaiting, plain), "[wait]");
  EXPECT_EQ(step_marker(StepState::kFailed, plain), "[fail]");
  EXPECT_EQ(step_marker(StepState::kPending, plain), "[    ]");
}

TEST(RenderTable, ColumnsAlignAndNamespaceComesFirstWithAllNamespaces) {
  const ListRow row = list_row(testing::waiting_canary(), at("2024-05-01T10:05:00Z"));
  EXPECT_EQ(row.step, "2/3 pause until approved");
  EXPECT_EQ(row.age, "5m");
  ListRow other = row;
  other.name = "checkout-api";
  other.namespace_name = "payments";
  EXPECT_EQ(render_table({row, other}, false),
            "NAME           PHASE                STEP                       WEIGHT   ACTUAL   ROUTER     REVISION     AGE\n"
            "web            WaitingForApproval   2/3 pause until approved   20%      33%      podRatio   aaaaaaaaaa   5m\n"
            "checkout-api   WaitingForApproval   2/3 pause until approved   20%      33%      podRatio   aaaaaaaaaa   5m\n");
  EXPECT_EQ(render_table({other}, true).substr(0, 24), "NAMESPACE   NAME        ");
}

TEST(RenderTable, APromotedCanaryIsAtItsLastStep) {
  json canary = testing::waiting_canary();
  canary["status"]["currentStep"] = 3;
  canary["status"]["stepDescription"] = "done";
  EXPECT_EQ(list_row(canary, at("2024-05-01T10:05:00Z")).step, "3/3 done");
}

TEST(RenderTable, ACanaryWithoutStatusShowsDashes) {
  const ListRow row = list_row(json::parse(R"({"metadata": {"name": "web", "namespace": "shop"}})"),
                               at("2024-05-01T10:05:00Z"));
  EXPECT_EQ(row.phase, "-");
  EXPECT_EQ(row.router, "-");
  EXPECT_EQ(row.revision, "-");
  EXPECT_EQ(row.age, "-");
  EXPECT_EQ(row.step, "1/?");
}

TEST(RenderTree, PlainTextIsStable) {
  const CanaryView view = build_view(testing::waiting_sources(), at("2024-05-01T10:01:12Z"));
  EXPECT_EQ(render_tree(view, Style{false}),
            "Canary shop/web\n"
            "  Phase:     WaitingForApproval\n"
            "  Message:   waiting for approval\n"
            "  Step:      2/3 pause until approved\n"
            "  Weight:    asked 20%, actual 33%\n"
            "  Router:    podRatio\n"
            "  Revision:  aaaaaaaaaa (stable bbbbbbbbbb)\n"
            "  Images:    stable shop/api:1.0.0\n"
            "             canary shop/api:2.0.0\n"
            "\n"
            "Deployment web  (stable, revision bbbbbbbbbb)\n"
            "`-- ReplicaSet web-new  2/2 ready\n"
            "    |-- Pod web-new-a  ready  restarts 2\n"
            "    `-- Pod web-new-b  ready  restarts 0\n"
            "Deployment web-canary  (canary, revision aaaaaaaaaa)\n"
            "`-- ReplicaSet web-canary-1  1/2 ready\n"
            "    `-- Pod web-canary-1-c  ready  restarts 0\n"
            "Routing podRatio\n"
            "`-- holds stable 67%, canary 33%  (pod ratio: 1 of 3 ready pods are the canary's)\n"
            "Steps\n"
            "|-- [done] 1. setWeight 20          12s\n"
            "|-- [wait] 2. pause until approved  60s\n"
            "`-- [    ] 3. setWeight 100\n"
            "Analyses\n"
            "`-- error-rate  passed 1, failed 0, inconclusive 0; last 0.004 (wants <= 0.01, 3 to pass, 1 failure(s) "
            "tolerated)\n"
            "    `-- 0.004 <= 0.01\n");
}

TEST(RenderTree, ATerminalGetsColoursAndSymbols) {
  const CanaryView view = build_view(testing::waiting_sources(), at("2024-05-01T10:01:12Z"));
  const std::string text = render_tree(view, Style{true});
  EXPECT_NE(text.find("\033[33mWaitingForApproval\033[0m"), std::string::npos);
  EXPECT_NE(text.find("└── "), std::string::npos);
  EXPECT_NE(text.find("॥"), std::string::npos);
  EXPECT_EQ(render_tree(view, Style{false}).find('\033'), std::string::npos);
}

TEST(RenderTree, AFailedStepShowsWhy) {
  CanarySources sources = testing::waiting_sources();
  sources.canary["status"]["phase"] = "Failed";
  sources.canary["status"]["steps"][1]["result"] = "Failed";
  sources.canary["status"]["steps"][1]["finishedAt"] = "2024-05-01T10:00:20Z";
  sources.canary["status"]["steps"][1]["message"] = "aborted by the user";
  sources.canary_deployment = nullptr;
  const std::string text = render_tree(build_view(sources, at("2024-05-01T10:01:12Z")), Style{false});
  EXPECT_NE(text.find("|-- [fail] 2. pause until approved  8s  aborted by the user\n"), std::string::npos) << text;
  EXPECT_NE(text.find("canary - (no canary workload)"), std::string::npos) << text;
  EXPECT_NE(text.find("Canary workload  none\n"), std::string::npos) << text;
}

TEST(ToYaml, BlockStyleInTheObjectsOrder) {
  const json object = json::parse(R"({"kind": "Canary", "metadata": {"name": "web"}, "status": {"steps": [1, 2.5],
      "message": "a: b", "ready": true, "none": null, "status": "False", "at": "2024-05-01T10:00:00Z", "n": "42",
      "empty": ""}})");
  EXPECT_EQ(to_yaml(object),
            "kind: Canary\n"
            "metadata:\n"
            "  name: web\n"
            "status:\n"
            "  at: \"2024-05-01T10:00:00Z\"\n"
            "  empty: \"\"\n"
            "  message: \"a: b\"\n"
            "  \"n\": \"42\"\n"  // a YAML 1.1 bool as a key, too
            "  none: ~\n"
            "  ready: true\n"
            "  status: \"False\"\n"
            "  steps:\n"
            "    - 1\n"
            "    - 2.5\n");
}

}  // namespace
}  // namespace autocanary::cli

#include "cli/options.h"

#include <gtest/gtest.h>

namespace autocanary::cli {
namespace {

Options ok(std::vector<std::string> argv) {
  auto parsed = parse_options(argv);
  EXPECT_TRUE(std::holds_alternative<Options>(parsed)) << std::get<std::string>(parsed);
  return std::holds_alternative<Options>(parsed) ? std::get<Options>(parsed) : Options{};
}

std::string error(std::vector<std::string> argv) {
  auto parsed = parse_options(argv);
  return std::holds_alternative<std::string>(parsed) ? std::get<std::string>(parsed) : "";
}

TEST(Options, KubectlsGlobalFlagsInEachSpelling) {
  const Options options = ok({"get", "web", "-n", "shop", "--context=dev", "--kubeconfig", "/tmp/k", "-ojson"});
  EXPECT_EQ(options.command, "get");
  EXPECT_EQ(options.args, std::vector<std::string>{"web"});
  EXPECT_EQ(options.namespace_name, "shop");
  EXPECT_EQ(options.context, "dev");
  EXPECT_EQ(options.kubeconfig, "/tmp/k");
  EXPECT_EQ(options.output, "json");
  EXPECT_EQ(ok({"--namespace=shop", "list"}).namespace_name, "shop");
  EXPECT_EQ(ok({"list", "-nshop"}).namespace_name, "shop");
  EXPECT_TRUE(ok({"list", "-A"}).all_namespaces);
  EXPECT_TRUE(ok({"list", "--all-namespaces"}).all_namespaces);
  EXPECT_TRUE(ok({"get", "web", "-w"}).watch);
}

TEST(Options, ImpersonationAsKubectlSpellsIt) {
  const Options options = ok({"list", "--as", "system:serviceaccount:shop:viewer", "--as-group=team-a",
                              "--as-group", "system:authenticated"});
  EXPECT_EQ(options.as_user, "system:serviceaccount:shop:viewer");
  EXPECT_EQ(options.as_groups, (std::vector<std::string>{"team-a", "system:authenticated"}));
  EXPECT_EQ(ok({"list", "--as=alice"}).as_user, "alice");
  EXPECT_EQ(error({"list", "--as-group", "team-a"}), "--as-group needs --as (the user to act as)");
  EXPECT_EQ(error({"list", "--as"}), "--as needs a value");
}

TEST(Options, StatusTimeoutIsADuration) {
  const Options options = ok({"status", "web", "--timeout", "90s"});
  EXPECT_EQ(options.timeout, std::chrono::seconds(90));
  EXPECT_EQ(options.timeout_text, "90s");
  EXPECT_EQ(error({"status", "web", "--timeout", "soon"}), "--timeout takes a duration such as 30s, 5m or 1h, not soon");
}

TEST(Options, MistakesAreOneLine) {
  EXPECT_EQ(error({"get"}), "get takes one canary name");
  EXPECT_EQ(error({"promote", "a", "b"}), "promote takes one canary name");
  EXPECT_EQ(error({"list", "web"}), "list takes no name");
  EXPECT_EQ(error({"frobnicate"}), "unknown command \"frobnicate\"");
  EXPECT_EQ(error({"statsu", "web"}), "unknown command \"statsu\"; did you mean \"status\"?");
  EXPECT_EQ(error({"get", "web", "-o", "wide"}), "-o takes json or yaml, not wide");
  EXPECT_EQ(error({"list", "--watch"}), "--watch goes with get");
  EXPECT_EQ(error({"get", "web", "-A"}), "-A goes with list");
  EXPECT_EQ(error({"get", "web", "--bogus"}), "unknown flag --bogus");
  EXPECT_EQ(error({"get", "web", "-n"}), "-n needs a value");
}

TEST(Options, NoCommandIsHelp) {
  EXPECT_EQ(ok({}).command, "help");
  EXPECT_EQ(ok({"get", "--help"}).command, "help");
}

}  // namespace
}  // namespace autocanary::cli

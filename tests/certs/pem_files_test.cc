#include "certs/pem_files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace autocanary::certs {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& path) {
  std::ifstream file(path);
  std::ostringstream content;
  content << file.rdbuf();
  return content.str();
}

class PemFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("pem-files-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(PemFilesTest, APairIsSwitchedInOneStepThroughADataLink) {
  const auto cert = (dir_ / "tls.crt").string(), key = (dir_ / "tls.key").string();
  ASSERT_EQ(write_pair_atomically(cert, "cert 1", key, "key 1"), "");
  EXPECT_EQ(read(cert), "cert 1");
  EXPECT_EQ(read(key), "key 1");
  EXPECT_TRUE(fs::is_symlink(cert) && fs::is_symlink(key) && fs::is_symlink(dir_ / "..data"));
  EXPECT_EQ(fs::status(key).permissions() & fs::perms::others_read, fs::perms::none);
  const auto first = fs::read_symlink(dir_ / "..data");

  ASSERT_EQ(write_pair_atomically(cert, "cert 2", key, "key 2"), "");
  EXPECT_EQ(read(cert), "cert 2");
  EXPECT_EQ(read(key), "key 2");
  EXPECT_NE(fs::read_symlink(dir_ / "..data"), first);
  EXPECT_FALSE(fs::exists(dir_ / first)) << "the previous pair is removed";
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 4)
      << "tls.crt, tls.key, ..data and one pair directory";
}

TEST_F(PemFilesTest, PlainFilesFromAnEarlierWriterAreReplacedByLinks) {
  const auto cert = (dir_ / "tls.crt").string(), key = (dir_ / "tls.key").string();
  ASSERT_EQ(write_file_atomically(cert, "old cert", false), "");
  ASSERT_EQ(write_file_atomically(key, "old key", true), "");
  ASSERT_EQ(write_pair_atomically(cert, "cert", key, "key"), "");
  EXPECT_EQ(read(cert), "cert");
  EXPECT_EQ(read(key), "key");
}

TEST_F(PemFilesTest, ThePairMustShareADirectory) {
  fs::create_directories(dir_ / "other");
  EXPECT_NE(write_pair_atomically((dir_ / "tls.crt").string(), "c", (dir_ / "other/tls.key").string(), "k"), "");
}

}  // namespace
}  // namespace autocanary::certs

// A kubeconfig from text (parse_kubeconfig), its server URL, and base64.
// Relative file names resolve into an empty temporary directory; inputs naming
// device or process files (which never end, or are not ours to read) are skipped,
// so nothing outside that directory is touched.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

#include "kube/kube_config.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

std::string made_directory;

void remove_directory() {
  for (const char* file : {"/token", "/ca.pem"}) (void)std::remove((made_directory + file).c_str());
  (void)std::remove(made_directory.c_str());
}

// A directory of our own with a token and a (not valid) PEM file that relative
// names in the input can reach; removed when the run ends.
std::string temporary_directory() {
  char name[] = "/tmp/autocanary-fuzz-kubeconfig-XXXXXX";
  const char* made = mkdtemp(name);
  if (made == nullptr) return "/nonexistent-autocanary-fuzz";
  made_directory = made;
  std::ofstream(made_directory + "/token") << "fuzz-token\n";
  std::ofstream(made_directory + "/ca.pem") << "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
  std::atexit(remove_directory);
  return made_directory;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace autocanary;
  static const std::string base_dir = temporary_directory();
  const auto text = fuzz::as_text(data, size);

  (void)kube::decode_base64(text);
  (void)kube::parse_server_url(text);
  for (std::string_view outside : {"/dev", "/proc", "/sys", "..", "/run", "/var", "/etc", "/home", "/root"})
    if (text.find(outside) != std::string_view::npos) return 0;
  (void)kube::parse_kubeconfig(text, base_dir);
  (void)kube::parse_kubeconfig(text, base_dir, "other");
  return 0;
}

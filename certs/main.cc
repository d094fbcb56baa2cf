// autocanary-certs: generates (or reuses) a CA and issues the webhook's serving
// certificate. Prints the CA bundle's path; files are written atomically.
//
//   autocanary-certs --out-dir DIR --dns NAME --ip 127.0.0.1 [--days 365]
//                    [--ca-cert FILE --ca-key FILE]
#include <cstdio>
#include <cstdlib>
#include <string>
#include <variant>
#include <vector>

#include <openssl/pem.h>

#include "certs/certified_key.h"
#include "certs/generate.h"
#include "certs/pem_files.h"

namespace {

using namespace autocanary::certs;

struct Options {
  std::string out_dir;
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  std::string ca_cert, ca_key;
  int days = 365;
};

[[noreturn]] void usage(const std::string& problem) {
  std::fprintf(stderr,
               "autocanary-certs: %s\n"
               "usage: autocanary-certs --out-dir DIR (--dns NAME | --ip ADDRESS)... [--days N]\n"
               "                        [--ca-cert FILE --ca-key FILE]\n"
               "Writes ca.crt, ca.key (unless an existing CA is given), tls.crt and tls.key.\n",
               problem.c_str());
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "-h" || flag == "--help") usage("help");
    if (i + 1 >= argc) usage(flag + " needs a value");
    const std::string value = argv[++i];
    if (flag == "--out-dir") options.out_dir = value;
    else if (flag == "--dns") options.dns_names.push_back(value);
    else if (flag == "--ip") options.ip_addresses.push_back(value);
    else if (flag == "--ca-cert") options.ca_cert = value;
    else if (flag == "--ca-key") options.ca_key = value;
    else if (flag == "--days") options.days = std::atoi(value.c_str());
    else usage("unknown flag " + flag);
  }
  if (options.out_dir.empty()) usage("--out-dir is required");
  if (options.dns_names.empty() && options.ip_addresses.empty()) usage("give at least one --dns or --ip");
  if (options.days <= 0) usage("--days must be a positive number");
  if (options.ca_cert.empty() != options.ca_key.empty()) usage("--ca-cert and --ca-key go together");
  return options;
}

void check(const std::string& error) {
  if (!error.empty()) {
    std::fprintf(stderr, "autocanary-certs: %s\n", error.c_str());
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  const auto validity = std::chrono::hours(24 * options.days);

  Authority ca;
  if (!options.ca_cert.empty()) {
    auto loaded = load_certified_key_files(options.ca_cert, options.ca_key);
    if (auto* error = std::get_if<std::string>(&loaded)) check("cannot load the CA: " + *error);
    auto& key = std::get<CertifiedKey>(loaded);
    ca = Authority{std::move(key.leaf), std::move(key.key)};
  } else {
    auto generated = generate_authority("autocanary-ca", validity);
    if (auto* error = std::get_if<std::string>(&generated)) check(*error);
    ca = std::move(std::get<Authority>(generated));
    check(write_file_atomically(options.out_dir + "/ca.key", to_pem(ca.key.get()), true));
    check(write_file_atomically(options.out_dir + "/ca.crt", to_pem(ca.certificate.get()), false));
  }

  ServingCertRequest request;
  request.dns_names = options.dns_names;
  request.ip_addresses = options.ip_addresses;
  request.validity = validity;
  auto serving = issue_serving_certificate(ca, request);
  if (auto* error = std::get_if<std::string>(&serving)) check(*error);
  const auto& issued = std::get<Authority>(serving);
  // Key first: a watcher that reloads on the certificate's change then finds a matching key.
  check(write_file_atomically(options.out_dir + "/tls.key", to_pem(issued.key.get()), true));
  check(write_file_atomically(options.out_dir + "/tls.crt", to_pem(issued.certificate.get()), false));
  std::printf("%s/ca.crt\n", options.out_dir.c_str());
  return 0;
}

#include "certs/certified_key.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <fstream>
#include <optional>
#include <sstream>

namespace autocanary::certs {

namespace {

std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char buffer[256];
  ERR_error_string_n(code, buffer, sizeof buffer);
  return buffer;
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return std::nullopt;
  std::ostringstream content;
  content << file.rdbuf();
  return content.str();
}

BioPtr memory_bio(const std::string& text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(length));
}

}  // namespace

std::variant<CertifiedKey, std::string> load_certified_key(const std::string& cert_pem,
                                                           const std::string& key_pem) {
  ERR_clear_error();
  CertifiedKey loaded;
  BioPtr cert_bio = memory_bio(cert_pem);
  loaded.leaf.reset(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  if (!loaded.leaf) return "certificate is not valid PEM: " + openssl_error();
  while (X509* next = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr))
    loaded.chain.emplace_back(next);
  ERR_clear_error();  // the loop ends on an expected "no start line"

  BioPtr key_bio = memory_bio(key_pem);
  loaded.key.reset(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!loaded.key) return "private key is not valid PEM: " + openssl_error();
  if (X509_check_private_key(loaded.leaf.get(), loaded.key.get()) != 1) {
    ERR_clear_error();
    return std::string("private key does not match the certificate");
  }
  return loaded;
}

std::variant<CertifiedKey, std::string> load_certified_key_files(const std::string& cert_path,
                                                                 const std::string& key_path) {
  const auto cert = read_file(cert_path);
  if (!cert) return "cannot read " + cert_path;
  const auto key = read_file(key_path);
  if (!key) return "cannot read " + key_path;
  auto loaded = load_certified_key(*cert, *key);
  if (auto* error = std::get_if<std::string>(&loaded))
    return *error + " (" + cert_path + ", " + key_path + ")";
  return loaded;
}

std::string to_pem(X509* certificate) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), certificate);
  return bio_text(bio.get());
}

std::string to_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  return bio_text(bio.get());
}

std::string common_name(X509* certificate) {
  char buffer[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(certificate), NID_commonName, buffer,
                            sizeof buffer);
  return buffer;
}

}  // namespace autocanary::certs

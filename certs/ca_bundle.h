// The caBundle the apiserver trusts while the CA rotates: the current CA first,
// then every earlier CA that has not expired, so serving certificates from either
// verify while replicas switch over.
#pragma once

#include <string>

#include "certs/certificate_info.h"

namespace autocanary::certs {

// `bundle_pem` is the previous bundle (may be empty or unreadable: then only the
// current CA is kept). Duplicates are dropped; the result is PEM text.
[[nodiscard]] std::string merge_ca_bundle(const std::string& bundle_pem, const std::string& authority_pem,
                                          TimePoint now);

}  // namespace autocanary::certs

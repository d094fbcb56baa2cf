# All third-party code comes from the distribution's packages (scripts/bootstrap.sh).
find_package(PkgConfig REQUIRED)
find_package(OpenSSL 3.0 REQUIRED)
find_package(Threads REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(yaml-cpp REQUIRED)
# The webhook's read of AdmissionReviews (webhook/review/fast_json.h).
find_package(simdjson 3.0 REQUIRED)
pkg_check_modules(CPPHTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib>=0.11)

# cpp-httplib is packaged as a compiled library; its pkg-config file carries the
# feature defines (OpenSSL, zlib) the header must be compiled with.
add_library(autocanary::httplib INTERFACE IMPORTED)
target_link_libraries(autocanary::httplib INTERFACE PkgConfig::CPPHTTPLIB
                      OpenSSL::SSL OpenSSL::Crypto Threads::Threads)

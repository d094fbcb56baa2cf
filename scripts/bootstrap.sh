#!/usr/bin/env bash
# Installs what building, testing and benchmarking autocanary needs, from Debian's
# packages only. Idempotent: a second run installs nothing and takes a second.
#
#   scripts/bootstrap.sh            build + unit/e2e test dependencies
#   scripts/bootstrap.sh --bench    also the load generator used by bench/
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git curl ca-certificates openssl
  libcpp-httplib-dev libssl-dev nlohmann-json3-dev libyaml-cpp-dev libgtest-dev
  libsimdjson-dev  # the webhook reads AdmissionReviews with it (webhook/review/fast_json.h)
  python3-yaml
  prometheus  # the analysis end-to-end tests query a real one
  lua5.1      # the Argo CD health checks (gopher-lua is Lua 5.1), run in tests/e2e/test_cli.py
  # The local cluster's real node (tests/cluster/real-node.sh) and its images
  # (scripts/images.sh): runc under containerd, the bridge/host-local/loopback
  # CNI plugins, nft for kube-proxy, iptables for the kubelet's canary chains,
  # umoci to inspect the OCI archives.
  runc containernetworking-plugins nftables iptables umoci
  clang-14 libclang-rt-14-dev  # bench/fuzz.sh: libFuzzer with ASan and UBSan
)
[[ "${1:-}" == "--bench" ]] && packages+=(wrk)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done

if ((${#missing[@]} > 0)); then
  echo "bootstrap: installing ${missing[*]}"
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The local control plane is built from Go modules (tests/cluster/build.sh).
if ! command -v go >/dev/null 2>&1; then
  echo "bootstrap: Go is required to build the test control plane (tests/cluster/)" >&2
  exit 1
fi

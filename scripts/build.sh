#!/usr/bin/env bash
# Configures and builds autocanary into build/ (or $BUILD_DIR). Extra arguments go
# to CMake, e.g. scripts/build.sh -DAUTOCANARY_SANITIZE=ON.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build}
cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" "$@" >/dev/null
cmake --build "$build_dir" -- -j"$(nproc)"

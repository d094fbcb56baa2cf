#!/usr/bin/env bash
# Runs every test on a fresh machine: installs what is missing, builds, runs the
# GoogleTest unit tests (on the default build and on the Release build that
# images and benchmarks use, so a break in either cannot hide), builds (or
# reuses) the local control plane and runs the end-to-end tests through it,
# then every fuzz target for a few seconds (ASan + UBSan), so they keep
# building and clean.
#
#   scripts/test.sh            everything
#   scripts/test.sh --unit     unit tests only (no control plane)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

"$root/scripts/bootstrap.sh"
"$root/scripts/build.sh"
ctest --test-dir "$root/build" --output-on-failure -j"$(nproc)" -L unit
BUILD_DIR="$root/build-release" BUILD_TYPE=Release "$root/scripts/build.sh"
ctest --test-dir "$root/build-release" --output-on-failure -j"$(nproc)" -L unit

[[ "${1:-}" == "--unit" ]] && exit 0

"$root/tests/cluster/build.sh"
python3 -c 'import pytest' 2>/dev/null || python3 -m pip install --quiet pytest
(cd "$root/tests/e2e" && python3 -m pytest -v -p no:cacheprovider "$root/tests/e2e")
"$root/bench/fuzz.sh" --brief

#!/usr/bin/env bash
# Webhook worst-case memory: 32 clients POST a maximal (4 MiB) AdmissionReview at
# once to the Release-built autocanary-webhook, answering 429s as the apiserver
# does (again after Retry-After), RUNS times per body. Two bodies: an UPDATE whose
# new template carries a huge annotation (bytes), and one whose template holds as
# many env entries as the element limit allows (the largest parsed tree). Reports
# the webhook's peak RSS (VmHWM, a fresh process per run) against the chart's
# memory limit, and how many answers were 429. Medians over RUNS.
#
#   bench/webhook_memory.sh         # RUNS=3 CLIENTS=32
#
# Knobs: RUNS, CLIENTS, BUDGET (bytes, the webhook's --review-memory-budget; set
# it huge to see the worst case without a budget), BUILD_DIR (default
# build-release), SKIP_BUILD=1.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build-release}

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DAUTOCANARY_BUILD_TESTS=OFF >/dev/null
  cmake --build "$build_dir" --target autocanary-webhook autocanary-certs >/dev/null
fi
budget=()
[[ -n ${BUDGET:-} ]] && budget=(--budget "$BUDGET")
limit=$(awk '/^webhook:/ {w=1} w && /limits:/ {print; exit}' "$root/charts/autocanary/values.yaml" |
  sed -E 's/.*memory: *([0-9]+)Mi.*/\1/')
python3 "$root/bench/webhook_memory.py" --webhook "$build_dir/webhook/autocanary-webhook" \
  --certs "$build_dir/certs/autocanary-certs" --fixture "$root/tests/testdata/admission/update-web-image.json" \
  --runs "${RUNS:-3}" --clients "${CLIENTS:-32}" --limit-mib "$limit" "${budget[@]}"

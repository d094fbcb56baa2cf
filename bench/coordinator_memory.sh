#!/usr/bin/env bash
# Memory benchmark: the coordinator's VmRSS and VmHWM while it manages DEPLOYMENTS
# Deployments (replicas 0) in NAMESPACES opted-in namespaces: empty, while they
# are created, idle, during a burst of BURST new images (canaries), and after a
# restart (everything learnt from lists at once). Starts and stops its own local
# control plane, the webhook and the coordinator. Bounded: every wait has a
# timeout (TIMEOUT seconds each).
#
#   bench/coordinator_memory.sh     # DEPLOYMENTS=1000 NAMESPACES=10 BURST=50 IDLE=30
#
# Knobs: DEPLOYMENTS, NAMESPACES, BURST, IDLE (seconds), RESTART_IDLE (seconds),
# TIMEOUT, AUTOCANARY_RUN (default /tmp/autocanary-bench-memory), BUILD_DIR
# (default build/), SKIP_BUILD=1, COORDINATOR_BUILD_DIR (where the coordinator
# binary comes from, default BUILD_DIR), SAMPLES_JSON=FILE (keep every sample).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export AUTOCANARY_RUN=${AUTOCANARY_RUN:-/tmp/autocanary-bench-memory}

started=$SECONDS
bench_name=mem
# shellcheck source=bench/bench_stack.sh
. "$root/bench/bench_stack.sh"


json=()
[[ -n ${SAMPLES_JSON:-} ]] && json=(--json "$SAMPLES_JSON")
python3 "$root/bench/coordinator_memory.py" --run-dir "$AUTOCANARY_RUN" --policy "$work/policy.yaml" \
  --deployments "${DEPLOYMENTS:-1000}" --namespaces "${NAMESPACES:-10}" --burst "${BURST:-50}" \
  --idle "${IDLE:-30}" --restart-idle "${RESTART_IDLE:-15}" --timeout "${TIMEOUT:-300}" \
  --dump-list "$work/managed.json" "${json[@]}"

# What those objects take as nlohmann::json trees (what the informers hold), and
# what lighter forms of them would take.
echo
if g++ -O2 -std=c++20 "$root/bench/json_footprint.cc" -o "$work/json_footprint" 2>"$work/gcc.log"; then
  "$work/json_footprint" "$work/managed.json"
else
  echo "json_footprint did not build (see below); skipped" >&2
  cat "$work/gcc.log" >&2
fi
echo "coordinator from ${COORDINATOR_BUILD_DIR:-$BUILD_DIR}; $((SECONDS - started)) s from cluster start to here"

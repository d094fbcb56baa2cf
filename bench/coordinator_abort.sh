#!/usr/bin/env bash
# Abort benchmark: time from a failing check (a canary pod starts crash-looping)
# to the canary Deployment being at weight 0 in the apiserver, measured through a
# watch, over RUNS rollouts, each in its own namespace. Starts and stops its own
# local control plane, the webhook and one coordinator; prints every run, the
# median/p90/max, and the coordinator's own abort histogram as a cross-check.
# Bounded: each wait has a timeout, each run RUN_TIMEOUT seconds.
#
#   bench/coordinator_abort.sh              # RUNS=10 SETTLE=2 RUN_TIMEOUT=10
#   ROUTER=smi bench/coordinator_abort.sh   # weight 0 on an SMI TrafficSplit instead
#   STALLED=4 RUN_TIMEOUT=30 bench/coordinator_abort.sh
#                                           # meanwhile 4 other rollouts analyse with a
#                                           # Prometheus that answers each query after
#                                           # STALL_SECONDS (10)
#
# Knobs: RUNS, SETTLE (seconds between runs), RUN_TIMEOUT, AUTOCANARY_RUN (the
# cluster's run dir, default /tmp/autocanary-bench-abort), BUILD_DIR (default
# build/), SKIP_BUILD=1 (use BUILD_DIR as it is), COORDINATOR_BUILD_DIR (where the
# coordinator binary comes from, default BUILD_DIR: to compare two builds of it),
# STALLED, STALL_SECONDS.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${RUNS:-10}
settle=${SETTLE:-2}
run_timeout=${RUN_TIMEOUT:-10}
stalled=${STALLED:-0}
stall_seconds=${STALL_SECONDS:-10}
export AUTOCANARY_RUN=${AUTOCANARY_RUN:-/tmp/autocanary-bench-abort}

started=$SECONDS
bench_name=bench
# shellcheck source=bench/bench_stack.sh
. "$root/bench/bench_stack.sh"

stall_port=0
if ((stalled > 0)); then
  # The stalled rollouts choose this analysis with their autocanary.io/steps;
  # its timeout is past the stall, so every query is answered, STALL_SECONDS late.
  stall_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  cat >>"$work/policy.yaml" <<YAML
analyses:
  - name: stalled-query
    prometheus: {address: "http://127.0.0.1:$stall_port", query: "vector(0)", timeout: $((stall_seconds + 5))s}
    successCondition: {max: 1}
    interval: 1s
    count: 100000
    inconclusiveLimit: 100000
YAML
fi

POLICY_FILE=$work/policy.yaml BUILD_DIR=${COORDINATOR_BUILD_DIR:-$BUILD_DIR} \
  "$root/scripts/local-coordinator.sh" start bench \
  --lease-duration 4s --renew-deadline 3s --retry-period 500ms >/dev/null
port=$(cat "$AUTOCANARY_RUN/coordinator/bench.port")
# Measure only once this replica leads (the first Lease is taken at once).
for _ in $(seq 100); do
  [[ $(kubectl get lease autocanary-coordinator -n autocanary-system \
    -o jsonpath='{.spec.holderIdentity}' 2>/dev/null) == bench ]] && break
  sleep 0.1
done

python3 "$root/bench/coordinator_abort.py" --kubeconfig "$KUBECONFIG" --coordinator-port "$port" \
  --runs "$runs" --settle "$settle" --timeout "$run_timeout" --router "${ROUTER:-podRatio}" \
  --stalled "$stalled" --stall-port "$stall_port" --stall-seconds "$stall_seconds"
rss=$(awk '/VmHWM/ {printf "%.1f MiB", $2 / 1024}' "/proc/$(cut -d' ' -f1 "$AUTOCANARY_RUN/pids/80-coordinator-bench.pid")/status")
echo "coordinator peak RSS (VmHWM): $rss; coordinator from ${COORDINATOR_BUILD_DIR:-$BUILD_DIR}; $((SECONDS - started)) s from cluster start to here"

#!/usr/bin/env bash
# Side by side with the peers: autocanary and Flagger / Kruise Rollout (built by
# PEERS=1 tests/cluster/build.sh into the cluster cache) on one local control plane, in
# one run, each figure a ratio of that run (docs/benchmarks.md, "Side by side
# with the peers").
#
#   bench/peers/run.sh admission   # UPDATES=200: the same Deployment UPDATEs, small and
#                                  #   64 KiB, through our webhook and Kruise Rollout's     ~4 min
#   bench/peers/run.sh rollback    # RUNS=5: a failing Prometheus metric → weight 0 in the
#                                  #   HTTPRoute, ours vs Flagger (gatewayapi:v1)          ~5 min
#                                  #   REAL_NODE=1 (root; inside `flock
#                                  #   /tmp/autocanary-real-node.lock`): real pods of the
#                                  #   test app, and → the last canary answer at a client
#                                  #   sending through traefik (RUNS=9: ~10 min)           ~6 min
#   bench/peers/run.sh memory      # DEPLOYMENTS=1000 NAMESPACES=10 IDLE=600 WORKERS=8
#                                  #   TIMEOUT=2400: RSS and CPU of each controller managing
#                                  #   as many Deployments, created by WORKERS concurrent
#                                  #   API calls; IDLE spans two of our coordinator's
#                                  #   300 s resyncs and ten of Flagger's 1 m passes   ~25 min
#
# Each run starts its own control plane (tests/cluster/up.sh, kwok nodes) in
# AUTOCANARY_RUN (default /tmp/peers-MEASURE), the webhook and the coordinator's
# prerequisites (bench/bench_stack.sh), then the peers out-of-cluster, and stops
# all of it on exit. Builds build-release/ (Release) unless SKIP_BUILD=1; BUILD_DIR
# overrides it. TIMEOUT bounds every wait (seconds). Exits non-zero only when
# something failed, never for a figure.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
measure=${1:-}
case $measure in
  admission) peers=(kruise-rollout) ;;
  rollback) peers=(flagger) ;;
  memory) peers=(flagger kruise-rollout) ;;
  *) echo "usage: bench/peers/run.sh admission|rollback|memory" >&2; exit 2 ;;
esac
export BUILD_DIR=${BUILD_DIR:-$root/build-release} BUILD_TYPE=${BUILD_TYPE:-Release}
export AUTOCANARY_RUN=${AUTOCANARY_RUN:-/tmp/peers-$measure}
# kwok nodes hold 110 pods each; Flagger gives each app a primary of at least
# one pod (replicas 0 or not), so the memory run needs a node per 100 apps.
[[ $measure != memory ]] || export AUTOCANARY_NODES=${AUTOCANARY_NODES:-$((${DEPLOYMENTS:-1000} / 100 + 3))}
# The controller-manager's defaults (20 requests/s per controller, 5 Deployment
# and 5 ReplicaSet workers) would take most of an hour to give 4 × 1,000
# Deployments their ReplicaSets and status (its Deployment queue held 3,954 after
# 8 min) while every controller waits for them; the same for all three sides.
[[ $measure != memory ]] || export AUTOCANARY_CONTROLLER_MANAGER_ARGS=${AUTOCANARY_CONTROLLER_MANAGER_ARGS:---kube-api-qps=200 --kube-api-burst=400 --concurrent-deployment-syncs=25 --concurrent-replicaset-syncs=25}
# The peers are built only for this bench (cached; a no-op once built).
PEERS=1 "$root/tests/cluster/build.sh"

started=$SECONDS
bench_name=peers
# shellcheck source=bench/bench_stack.sh
. "$root/bench/bench_stack.sh"

case $measure in
  admission)
    python3 "$root/bench/peers/admission.py" --run-dir "$AUTOCANARY_RUN" --work "$work" \
      --updates "${UPDATES:-200}" --timeout "${TIMEOUT:-120}"
    ;;
  rollback)
    real_node=()
    if [[ ${REAL_NODE:-0} == 1 ]]; then
      # The test app's image (scripts/images.sh build test-app makes it) into the real node.
      "$root/scripts/images.sh" import test-app >/dev/null
      real_node=(--real-node "$AUTOCANARY_REAL_NODE")
    fi
    python3 "$root/bench/peers/rollback.py" --run-dir "$AUTOCANARY_RUN" --work "$work" \
      --runs "${RUNS:-5}" --timeout "${TIMEOUT:-180}" "${real_node[@]}"
    ;;
  memory)
    python3 "$root/bench/peers/memory.py" --run-dir "$AUTOCANARY_RUN" --work "$work" --policy "$work/policy.yaml" \
      --deployments "${DEPLOYMENTS:-1000}" --namespaces "${NAMESPACES:-10}" --idle "${IDLE:-600}" \
      --workers "${WORKERS:-8}" --timeout "${TIMEOUT:-2400}"
    ;;
esac
echo "peers $measure: $((SECONDS - started)) s from the build check to here"

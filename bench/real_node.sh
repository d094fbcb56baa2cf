#!/usr/bin/env bash
# Real node benchmark: autocanary as pods of the local cluster's real node, in
# one run (bench/real_node.py says how each is measured):
#   - admission latency as the apiserver records it
#     (apiserver_admission_webhook_admission_duration_seconds), the webhook in a
#     pod (helm install) vs on the host (webhook.externalURL), plus the same
#     requests timed at the client with and without the webhook in their way;
#   - memory of the webhook, coordinator and shim containers from their cgroups;
#   - pod create → Ready of the test app with the shim, without it, and without
#     it but with the kubelet's own TCP readiness probe.
# Starts its own cluster with REAL_NODE=1 (root; one real node per machine) and
# tears it down on exit.
#
#   bench/real_node.sh          # ADMISSIONS=300 PODS=10
#
# Knobs: ADMISSIONS, PODS, AUTOCANARY_RUN (default /tmp/autocanary-bench-real-node),
# BUILD_DIR (default build-release; the images and the host webhook come from it),
# SKIP_BUILD=1, RESULTS_JSON=FILE (every number).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export AUTOCANARY_RUN=${AUTOCANARY_RUN:-/tmp/autocanary-bench-real-node}
export BUILD_DIR=${BUILD_DIR:-$root/build-release}

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  BUILD_TYPE=Release "$root/scripts/build.sh" >/dev/null
  "$root/tests/cluster/build.sh" >/dev/null
fi

work=$(mktemp -d)
cluster_up=0
cleanup() {
  local status=$?
  set +e
  if ((cluster_up)); then
    "$root/tests/cluster/down.sh" >/dev/null || echo "real_node: down.sh failed" >&2
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

started=$SECONDS
REAL_NODE=1 "$root/tests/cluster/up.sh" >"$work/up.log" 2>&1 || { cat "$work/up.log" >&2; exit 1; }
cluster_up=1
# shellcheck disable=SC1091
. "$AUTOCANARY_RUN/env"
"$root/scripts/images.sh" all autocanary autocanary-shim test-app >/dev/null

json=()
[[ -n ${RESULTS_JSON:-} ]] && json=(--json "$RESULTS_JSON")
python3 "$root/bench/real_node.py" --run-dir "$AUTOCANARY_RUN" --kubectl "$(command -v kubectl)" \
  --admissions "${ADMISSIONS:-300}" --pods "${PODS:-10}" "${json[@]}"
echo "$((SECONDS - started)) s from cluster start to here; images and host webhook from $BUILD_DIR"

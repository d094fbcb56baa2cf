#!/usr/bin/env bash
# Gateway API shift and rollback timed at the client: on the local cluster's
# real node, the test app (2 pods) behind the user's own HTTPRoute on a Gateway
# that traefik (tests/cluster/build.sh) implements on the host, and beside it
# the same app under pod ratio behind its ClusterIP. Per run and router, a
# canary at 50% is failed by an HTTP gate (the rollback) and the next revision
# passes it (the promotion: 100%, then promoted) while client threads send
# requests without pause. Per run, the ms from the failing check (its
# measuredAt in the Canary status) until the coordinator logs weight 0 and until
# the last request answered by the canary or not at all, after which every
# request reaches stable;
# and from the passing check (the promotion decision) until the coordinator
# logs weight 100 and until the last answer of the version before. Runs
# tests/e2e/test_gateway_traefik.py::test_shift_and_rollback_times_at_the_client
# with RUNS runs (its session brings the cluster up and down) and prints every
# run, the medians and p90s (docs/benchmarks.md, "Gateway API through traefik").
#
#   bench/gateway_traffic.sh            # RUNS=5
#
# Needs root, the real node's binaries and traefik (tests/cluster/build.sh) and
# build/ (scripts/build.sh; BUILD_DIR overrides it). Only one real node runs per machine: wrap it in
# `flock /tmp/autocanary-real-node.lock` where others share the machine.
# Knobs: RUNS, AUTOCANARY_RUN (default /tmp/autocanary-bench-gateway).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${RUNS:-5}
export AUTOCANARY_RUN=${AUTOCANARY_RUN:-/tmp/autocanary-bench-gateway}

out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
# The test fails when a shift through the Gateway takes 1 s or more; the figures are printed either way.
(cd "$root/tests/e2e" &&
  REAL_NODE=1 GATEWAY_RUNS=$runs GATEWAY_OUT=$out python3 -m pytest -x -q -s -p no:cacheprovider \
    "test_gateway_traefik.py::test_shift_and_rollback_times_at_the_client") || status=$?
python3 - "$out" "$root/bench" <<'PY'
import statistics, sys
sys.path.insert(0, sys.argv[2])
from kubeapi import percentile
rows = {}
for line in open(sys.argv[1]):
    if line.strip():
        router, *values = line.split()
        rows.setdefault(router, []).append([float(v) for v in values])
names = ["failing check → weight 0 logged",
         "failing check → last request answered by the canary or not at all (100% stable at the client)",
         "requests unanswered after the failing check", "passing check → weight 100 logged",
         "passing check → last answer of the version before (100% new at the client)",
         "requests unanswered after the passing check"]
for router, runs in rows.items():
    print(f"{router}: {len(runs)} runs")
    for i, name in enumerate(names):
        values = sorted(run[i] for run in runs)
        unit = "" if "unanswered" in name else " ms"
        print(f"  {name}: median {statistics.median(values):.0f}{unit}, p90 {percentile(values, 0.9):.0f}{unit}; "
              f"runs: {', '.join(f'{run[i]:.0f}' for run in runs)}")
PY
exit "$status"

#!/usr/bin/env bash
# Real-traffic abort benchmark: on the local cluster's real node, a canary of
# the test app at 50% (pod ratio, 3 stable + 3 canary pods) is failed by an
# HTTP gate while 4 threads send requests through the Service's ClusterIP
# without pause. Per run, the ms from the failing measurement (its measuredAt
# in the Canary status) until: the coordinator logs weight 0; the last answer
# from a canary pod; kube-proxy's nftables rules first lose an endpoint, and
# balance over the stable pods alone (read with nft every ~20 ms); the last
# request sent that got no answer (a stopped canary pod still in the rules, or
# a conntrack entry still pointing at one). Runs
# tests/e2e/test_real_canary.py::test_after_an_abort_no_request_reaches_the_canary
# with RUNS revisions in one namespace (its session brings the cluster up and
# down) and prints every run and the medians (docs/benchmarks.md, "Real traffic").
#
#   bench/real_traffic.sh            # RUNS=5
#
# Needs root, the real node's binaries (tests/cluster/build.sh), build/ and
# build-release/ (scripts/build.sh; the images come from build-release). Knobs:
# RUNS, AUTOCANARY_RUN (the cluster's run dir, default /tmp/autocanary-bench-real-traffic).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${RUNS:-5}
export AUTOCANARY_RUN=${AUTOCANARY_RUN:-/tmp/autocanary-bench-real-traffic}

out=$(mktemp)
trap 'rm -f "$out"' EXIT
(cd "$root/tests/e2e" &&
  REAL_NODE=1 REAL_TRAFFIC_ABORTS=$runs REAL_TRAFFIC_OUT=$out python3 -m pytest -x -q -s -p no:cacheprovider \
    "test_real_canary.py::test_after_an_abort_no_request_reaches_the_canary")
python3 - "$out" <<'PY'
import statistics, sys
runs = [line.split() for line in open(sys.argv[1]) if line.strip()]
def line(what, values):
    known = [float(v) for v in values if v != "-"]
    shown = ", ".join(v if v == "-" else f"{float(v):.0f}" for v in values)
    median = f"median {statistics.median(known):.0f}" if known else "none"
    print(f"failing check → {what} (ms): {shown}; {median}"
          + ("" if len(known) in (0, len(values)) else f" over the {len(known)} runs with one"))
print(f"{len(runs)} aborts of a canary at 50% (3 + 3 pods), requests through the ClusterIP:")
columns = list(zip(*runs))
line("weight 0 written (coordinator log)", columns[0])
line("last answer from a canary pod", columns[1])
line("kube-proxy's rules with fewer endpoints", columns[2])
line("kube-proxy's rules without the canary's endpoints", columns[3])
line("last request sent that got no answer", columns[4])
PY

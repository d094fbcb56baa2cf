#!/usr/bin/env bash
# Answer time of the hostile writes: runs tests/e2e/test_hostile_input.py's YAML
# bombs (an alias bomb, deep nesting, a huge scalar in the autocanary.io/steps
# annotation) RUNS times, each run on a fresh local control plane, and prints
# the median time from `kubectl apply --server-side` to its answer per bomb —
# kubectl's own start and the apiserver's work included — beside a control: the
# same bytes in an annotation nobody parses, on the next write. The test asserts
# the answer and the webhook's memory, never the time.
#
#   bench/hostile_input.sh     # RUNS=3 (uses build/, REAL_NODE=0)
#
# Knobs: RUNS, AUTOCANARY_RUN (default /tmp/autocanary-bench-hostile).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${RUNS:-3}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for run in $(seq "$runs"); do
  (cd "$root/tests/e2e" && REAL_NODE=0 AUTOCANARY_RUN=${AUTOCANARY_RUN:-/tmp/autocanary-bench-hostile} \
    python3 -m pytest -q -s -p no:cacheprovider test_hostile_input.py -k yaml_bomb) >"$log.$run" 2>&1 ||
    { cat "$log.$run" >&2; exit 1; }
  grep -oE '(control )?[a-z-]+: [0-9]+ bytes, kubectl apply answered in [0-9]+ ms' "$log.$run" >>"$log" || true
  rm -f "$log.$run"
done
python3 - "$log" "$runs" <<'PY'
import re, statistics, sys
times, sizes = {}, {}
for line in open(sys.argv[1]):
    control, bomb, size, ms = re.match(r"(control )?([a-z-]+): (\d+) bytes, kubectl apply answered in (\d+) ms",
                                       line).groups()
    times.setdefault((bomb, bool(control)), []).append(int(ms))
    sizes[bomb] = int(size)
print(f"{'bomb':<14} {'bytes':>8} {'runs':>5} {'median_ms':>10} {'min_ms':>7} {'max_ms':>7} {'control_median_ms':>18}")
for bomb in sorted(sizes):
    t, c = times.get((bomb, False), []), times.get((bomb, True), [])
    print(f"{bomb:<14} {sizes[bomb]:>8} {len(t):>5} {statistics.median(t):>10.0f} {min(t):>7} {max(t):>7} "
          f"{statistics.median(c) if c else float('nan'):>18.0f}")
PY

#!/usr/bin/env bash
# Shim benchmark: autocanary-shim (Release build) beside a local HTTP app on
# 127.0.0.1, then autocanary-shim-tls beside the app over HTTPS. Reports time
# from exec to the first probe result, peak RSS (VmHWM) and RSS after
# RSS_SECONDS, the resident split and largest mappings, SIGTERM exit time, and
# CPU per probe (TCP and HTTP; HTTPS for the TLS build) at a fast period.
# Medians over RUNS runs. Bounded: every wait has a deadline.
#
#   bench/shim.sh        # RUNS=5 RSS_SECONDS=10 FAST_PERIOD=5ms PROBES=2000
#
# Knobs: RUNS, RSS_SECONDS, FAST_PERIOD, PROBES, BUILD_DIR (default build-release),
# SKIP_BUILD=1, SAMPLES_JSON=FILE (keep every run's figures).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build-release}

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DAUTOCANARY_BUILD_TESTS=OFF >/dev/null
  cmake --build "$build_dir" --target autocanary-shim autocanary-shim-tls >/dev/null
fi
json=()
[[ -n ${SAMPLES_JSON:-} ]] && json=(--json "$SAMPLES_JSON")
python3 "$root/bench/shim_bench.py" --shim "$build_dir/shim/autocanary-shim" \
  --shim-tls "$build_dir/shim/autocanary-shim-tls" --runs "${RUNS:-5}" \
  --rss-seconds "${RSS_SECONDS:-10}" --fast-period "${FAST_PERIOD:-5ms}" --probes "${PROBES:-2000}" "${json[@]}"
for binary in autocanary-shim autocanary-shim-tls; do
  echo "binary: $build_dir/shim/$binary ($(stat -c %s "$build_dir/shim/$binary") bytes)"
done

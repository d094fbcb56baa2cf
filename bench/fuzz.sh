#!/usr/bin/env bash
# Fuzzing: builds the libFuzzer targets (tests/fuzz/, clang-14 with ASan + UBSan,
# build-fuzz/) and runs each one after the other for a budget, from seeds out of
# tests/testdata/ and tests/fuzz/seeds/. Prints target, executions, execs/s, peak
# RSS and crashes; a crash, leak, UB report or timeout fails the script and its
# reproducer stays in build-fuzz/fuzz-artifacts/.
#
#   bench/fuzz.sh                         # RUNS=1000000 executions per target
#   SECONDS_PER_TARGET=60 bench/fuzz.sh   # a time budget per target instead
#   MAX_SECONDS=300 bench/fuzz.sh         # RUNS, but no target longer than that
#   bench/fuzz.sh --brief                 # a few seconds per target (the test command)
#   TARGETS="fuzz_yaml_json fuzz_watch_decoder" bench/fuzz.sh
#   build-fuzz/tests/fuzz/fuzz_yaml_json CRASH_FILE   # replay one reproducer
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build-fuzz}
runs=${RUNS:-1000000}
seconds=${SECONDS_PER_TARGET:-}
rss_limit=${RSS_LIMIT_MB:-2048}
if [[ "${1:-}" == "--brief" ]]; then
  seconds=${SECONDS_PER_TARGET:-3}
fi

# Largest input per target: a little over what each boundary accepts or what
# its seeds need (the shim reads at most 4 KiB of request head).
declare -A max_len=(
  [fuzz_admission_review]=16384
  [fuzz_yaml_json]=4096
  [fuzz_policy_parser]=4096
  [fuzz_policy_resolution]=2048
  [fuzz_kube_config]=4096
  [fuzz_watch_decoder]=4096
  [fuzz_prometheus_response]=2048
  [fuzz_shim_request_head]=4200
  [fuzz_shim_probe_spec]=1024
  [fuzz_shim_options]=1024
)
all_targets="fuzz_admission_review fuzz_yaml_json fuzz_policy_parser fuzz_policy_resolution fuzz_kube_config
  fuzz_watch_decoder fuzz_prometheus_response fuzz_shim_request_head fuzz_shim_probe_spec fuzz_shim_options"
targets=${TARGETS:-$all_targets}

for tool in clang-14 clang++-14; do
  command -v "$tool" >/dev/null || { echo "fuzz.sh: $tool is missing (apt-get install clang-14 libclang-rt-14-dev)" >&2; exit 1; }
done
if [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
  CC=clang-14 CXX=clang++-14 cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DAUTOCANARY_FUZZ=ON -DAUTOCANARY_BUILD_TESTS=OFF >/dev/null
fi
cmake --build "$build_dir" --target autocanary_fuzzers >/dev/null

# Seeds: the fixtures the unit tests use, with the framing a target expects.
seeds=$build_dir/fuzz-seeds
rm -rf "$seeds" && mkdir -p "$seeds"
for target in $all_targets; do
  mkdir -p "$seeds/$target"
  [[ -d "$root/tests/fuzz/seeds/$target" ]] && cp "$root/tests/fuzz/seeds/$target"/* "$seeds/$target/"
done
cp "$root"/tests/testdata/admission/*.json "$seeds/fuzz_admission_review/"
for file in "$root"/charts/autocanary/examples/*.yaml "$root"/tests/fuzz/seeds/fuzz_policy_parser/*; do
  cp "$file" "$seeds/fuzz_yaml_json/"
  cp "$file" "$seeds/fuzz_policy_parser/"
done
cp "$root"/tests/testdata/kube/*.yaml "$seeds/fuzz_kube_config/"
for file in "$root"/tests/testdata/prometheus/*.json; do  # status 200: bytes 0x00 0x64
  { printf '\x00\x64'; cat "$file"; } >"$seeds/fuzz_prometheus_response/$(basename "$file")"
done
for file in "$root"/tests/testdata/traffic/*.json; do  # one watch event per object, 7-byte chunks
  { printf '\x06\x00{"type":"ADDED","object":'; tr -d '\n' <"$file"; printf '}\n'; } \
    >"$seeds/fuzz_watch_decoder/$(basename "$file")"
done

corpora=$build_dir/fuzz-corpus
artifacts=$build_dir/fuzz-artifacts
logs=$build_dir/fuzz-logs
mkdir -p "$artifacts" "$logs"
if [[ -n "$seconds" ]]; then budget=(-max_total_time="$seconds"); else budget=(-runs="$runs"); fi
[[ -z "$seconds" && -n "${MAX_SECONDS:-}" ]] && budget+=(-max_total_time="$MAX_SECONDS")

printf "%-26s %12s %10s %14s %8s\n" target executions "execs/s" peak_rss_mb crashes
failed=0
passed_targets=0
failed_targets=0
for target in $targets; do
  corpus=$corpora/$target
  rm -rf "$corpus" && mkdir -p "$corpus"
  log=$logs/$target.log
  status=0
  "$build_dir/tests/fuzz/$target" "$corpus" "$seeds/$target" "${budget[@]}" \
    -max_len="${max_len[$target]}" -rss_limit_mb="$rss_limit" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$artifacts/$target-" >"$log" 2>&1 || status=$?
  stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
  executions=$(stat number_of_executed_units)
  speed=$(stat average_exec_per_sec)
  rss=$(stat peak_rss_mb)
  reproducer=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
  crashes=0
  if [[ $status -ne 0 || -n "$reproducer" ]]; then crashes=1; failed=1; fi
  if [[ $crashes -eq 0 ]]; then passed_targets=$((passed_targets + 1)); else failed_targets=$((failed_targets + 1)); fi
  printf "%-26s %12s %10s %14s %8s\n" "$target" "${executions:--}" "${speed:--}" "${rss:--}" "$crashes"
  if [[ $crashes -ne 0 ]]; then
    echo "  $target failed (exit $status); log: $log" >&2
    [[ -n "$reproducer" ]] && echo "  reproducer: $reproducer (replay: $build_dir/tests/fuzz/$target $reproducer)" >&2
  fi
done
# The plain closing line test runners print: one per target.
echo "fuzz: $passed_targets passed, $failed_targets failed"
exit $failed

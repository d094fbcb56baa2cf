#!/usr/bin/env bash
# Admission benchmark: autocanary-webhook over TLS with keep-alive, driven by wrk
# from a second process on 127.0.0.1, for a small and a 64 KiB Deployment.
# Prints requests/s, client-side p50/p99, server-side p50/p99 (in process) and
# the server's peak RSS. Bounded: each load run lasts DURATION seconds.
#
#   bench/admission.sh                  # DURATION=10 CONNECTIONS=8 THREADS=1
#   SKIP_BUILD=1 BUILD_DIR=DIR bench/admission.sh   # binaries already built in DIR
#                                       # (webhook/, certs/, bench/review_latency)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
duration=${DURATION:-10}
connections=${CONNECTIONS:-8}
threads=${THREADS:-1}
build_dir=${BUILD_DIR:-$root/build-release}

"$root/scripts/bootstrap.sh" --bench
if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  BUILD_TYPE=Release BUILD_DIR="$build_dir" "$root/scripts/build.sh" -DAUTOCANARY_BUILD_TESTS=OFF >/dev/null
fi

work=$(mktemp -d)
webhook_pid=""
cleanup() {
  [[ -n "$webhook_pid" ]] && kill "$webhook_pid" 2>/dev/null && wait "$webhook_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

"$build_dir/certs/autocanary-certs" --out-dir "$work" --ip 127.0.0.1 >/dev/null
# The fixtures are pretty-printed for reading; the apiserver sends compact JSON.
for name in update-web-image update-catalog-large; do
  python3 -c 'import json,sys; json.dump(json.load(open(sys.argv[1])), open(sys.argv[2],"w"), separators=(",",":"))' \
    "$root/tests/testdata/admission/$name.json" "$work/$name.json"
done

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$build_dir/webhook/autocanary-webhook" --tls-cert-file "$work/tls.crt" --tls-key-file "$work/tls.key" \
  --bind-address 127.0.0.1 --port "$port" --log-level warn --drain-delay 0s 2>"$work/webhook.log" &
webhook_pid=$!
for _ in $(seq 50); do curl -skf "https://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done

printf "%-22s %10s %12s %12s %12s %14s %14s %12s %12s %12s\n" case body_bytes "requests/s" "client_p50" "client_p99" \
  "server_p50_us" "server_p99_us" "cpu_p50_us" "cpu_p99_us" "free_p50_us"
for name in update-web-image update-catalog-large; do
  body="$work/$name.json"
  wrk_out=$(BODY_FILE="$body" wrk -t"$threads" -c"$connections" -d"${duration}s" --latency \
    -s "$root/bench/post.lua" "https://127.0.0.1:$port/mutate?timeout=10s")
  if grep -q "Non-2xx" <<<"$wrk_out"; then
    echo "$wrk_out" >&2
    echo "benchmark: the webhook answered with errors" >&2
    exit 1
  fi
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$wrk_out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$wrk_out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$wrk_out")
  server=$("$build_dir/bench/review_latency" "$body" 3000)
  field() { sed -E "s/.* $1=([0-9.]+).*/\\1/" <<<"$server"; }
  # free_p50_us: freeing the parsed review after the answer is written (absent before that change).
  printf "%-22s %10s %12s %12s %12s %14s %14s %12s %12s %12s\n" "$name" "$(stat -c %s "$body")" "$rps" "$p50" "$p99" \
    "$(field p50_us)" "$(field p99_us)" "$(field cpu_p50_us)" "$(field cpu_p99_us)" \
    "$(grep -q free_p50_us <<<"$server" && field free_p50_us || echo -)"
done
peak=$(awk '/VmHWM/ {print $2 " " $3}' "/proc/$webhook_pid/status")
echo "webhook peak RSS (VmHWM): $peak"

# Sourced by the coordinator benchmarks: builds (unless SKIP_BUILD=1), starts a
# local control plane in $AUTOCANARY_RUN with the webhook and the coordinator's
# prerequisites, writes the benchmark policy to $work/policy.yaml, and tears
# everything down on exit. Expects `root` and `bench_name`; sets `work`.
# shellcheck shell=bash

export BUILD_DIR=${BUILD_DIR:-$root/build}
[[ ${SKIP_BUILD:-0} == 1 ]] || "$root/scripts/build.sh" >/dev/null

work=$(mktemp -d)
cluster_up=0
cleanup() {
  local status=$?
  set +e
  if ((cluster_up)); then
    "$root/scripts/local-coordinator.sh" stop "$bench_name" >/dev/null 2>&1
    "$root/scripts/local-webhook.sh" stop >/dev/null 2>&1
    "$root/tests/cluster/down.sh" >/dev/null || echo "$bench_name: down.sh failed" >&2
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$root/tests/cluster/up.sh" >"$work/up.log" 2>&1 || { cat "$work/up.log" >&2; exit 1; }
cluster_up=1
# shellcheck disable=SC1091
. "$AUTOCANARY_RUN/env"

# Steps long enough that nothing but the benchmark moves a rollout; an aborted
# canary stays (at weight 0), so nothing else happens meanwhile.
cat >"$work/policy.yaml" <<'YAML'
steps:
  - setWeight: 25
  - pause: {duration: 1h}
  - setWeight: 100
abortScaleDownDelay: 1h
YAML
"$root/scripts/local-webhook.sh" start >/dev/null
"$root/scripts/local-coordinator.sh" setup >/dev/null

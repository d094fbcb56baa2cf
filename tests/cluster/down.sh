#!/usr/bin/env bash
# Stop the local control plane started by up.sh and remove its run dir
# (${AUTOCANARY_RUN:-/tmp/autocanary-cluster}); KEEP=1 keeps the dir and logs.
# Every process gets SIGTERM, then SIGKILL after AUTOCANARY_STOP_TIMEOUT
# seconds (default 10). Exits non-zero if anything could not be stopped.
set -euo pipefail

CACHE=${AUTOCANARY_CACHE:-$HOME/.cache/autocanary}
BIN=$CACHE/bin
RUN=${AUTOCANARY_RUN:-/tmp/autocanary-cluster}
STOP_TIMEOUT=${AUTOCANARY_STOP_TIMEOUT:-10}
MARKER=.autocanary-cluster
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=real-node.sh
. "$HERE/real-node.sh"

log() { printf '[down] %s\n' "$*"; }

if [[ ! -e $RUN ]]; then
  log "nothing to do: $RUN does not exist"
  exit 0
fi
[[ -f $RUN/$MARKER ]] || { echo "down.sh: $RUN was not created by up.sh; not touching it" >&2; exit 1; }

# ours PID BINARY: the pid is alive and still runs our binary, so a recycled
# pid is never signalled. A rebuilt binary shows up as "path (deleted)".
ours() {
  local exe
  exe=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
  [[ ${exe% (deleted)} == "$2" ]]
}

# leftovers: "pid binary" of every process of ours that still mentions the run
# dir on its command line. The pgrep match alone could hit a shell that merely
# mentions the path, so the executable must be one of the cached binaries too.
leftovers() {
  local pid exe
  while read -r pid; do
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || continue
    exe=${exe% (deleted)}
    [[ $exe == "$BIN"/* ]] && printf '%s %s\n' "$pid" "$exe"
  done < <(pgrep -f -- "$RUN/" || true)
}

# Everything to stop: the pid files, plus whatever the scan finds (a pid file
# may be missing if up.sh was killed at the wrong moment).
declare -A procs=()
for f in "$RUN"/pids/*.pid; do
  [[ -f $f ]] || continue
  read -r pid exe <"$f" || continue
  ours "$pid" "$exe" && procs[$pid]=$exe
done
while read -r pid exe; do procs[$pid]=$exe; done < <(leftovers)

# stop_group NAME...: SIGTERM every listed binary at once, wait up to
# STOP_TIMEOUT for all of them, then SIGKILL the stragglers.
stop_group() {
  local name pid pids=() deadline alive
  for name in "$@"; do
    for pid in "${!procs[@]}"; do
      [[ ${procs[$pid]##*/} == "$name" ]] && pids+=("$pid")
    done
  done
  ((${#pids[@]})) || return 0
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  deadline=$((SECONDS + STOP_TIMEOUT))
  while :; do
    alive=()
    for pid in "${pids[@]}"; do ours "$pid" "${procs[$pid]}" && alive+=("$pid"); done
    ((${#alive[@]} && SECONDS < deadline)) || break
    sleep 0.1
  done
  for pid in "${alive[@]}"; do
    log "${procs[$pid]##*/} ($pid) ignored SIGTERM for ${STOP_TIMEOUT}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    while ours "$pid" "${procs[$pid]}"; do sleep 0.1; done
    log "stopped ${procs[$pid]##*/} ($pid)"
    unset "procs[$pid]"
  done
}

# Clients first, etcd last, so nothing waits on or logs errors about an
# already stopped dependency; the apiserver drains faster with no watchers.
stop_group kwok kube-scheduler kube-controller-manager kube-proxy kubelet
# The real node's containers outlive the kubelet; containerd removes them, then
# the shims exit on their own.
real_node_kill_containers
stop_group containerd-shim-runc-v2
stop_group containerd
stop_group kube-apiserver
stop_group etcd
# Anything else built into the cache dir and pointed at this run dir.
mapfile -t others < <(for pid in "${!procs[@]}"; do echo "${procs[$pid]##*/}"; done | sort -u)
((${#others[@]} == 0)) || stop_group "${others[@]}"
rm -f "$RUN"/pids/*.pid

if [[ -n $(leftovers) ]]; then
  echo "down.sh: processes still running for $RUN:" >&2
  leftovers >&2
  exit 1
fi

real_node_host_cleanup

if [[ ${KEEP:-0} == 1 ]]; then
  log "kept $RUN (logs in $RUN/logs)"
else
  rm -rf "$RUN"
  log "removed $RUN"
fi

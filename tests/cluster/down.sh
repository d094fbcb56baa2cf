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

# stop PID BINARY NAME: SIGTERM, wait up to STOP_TIMEOUT, then SIGKILL.
stop() {
  local pid=$1 exe=$2 name=$3 deadline
  ours "$pid" "$exe" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + STOP_TIMEOUT))
  while ours "$pid" "$exe" && ((SECONDS < deadline)); do sleep 0.1; done
  if ours "$pid" "$exe"; then
    log "$name ($pid) ignored SIGTERM for ${STOP_TIMEOUT}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while ours "$pid" "$exe"; do sleep 0.1; done
  fi
  log "stopped $name ($pid)"
}

# Reverse start order: clients first, etcd last, so nothing logs connection
# errors against an already stopped dependency.
if [[ -d $RUN/pids ]]; then
  mapfile -t pidfiles < <(find "$RUN/pids" -name '*.pid' | sort -r)
  for f in "${pidfiles[@]}"; do
    read -r pid exe <"$f" || continue
    name=$(basename "$f" .pid)
    stop "$pid" "$exe" "${name#*-}"
    rm -f "$f"
  done
fi

# Verify: no process of ours may still reference this run dir (e.g. a pid file
# was lost). Match on the command line, then confirm by executable so that a
# shell merely mentioning the path is never touched.
leftovers() {
  local pid exe
  while read -r pid; do
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || continue
    exe=${exe% (deleted)}
    [[ $exe == "$BIN"/* ]] && printf '%s %s\n' "$pid" "$exe"
  done < <(pgrep -f -- "$RUN/" || true)
}
while read -r pid exe; do
  stop "$pid" "$exe" "$(basename "$exe") (no pid file)"
done < <(leftovers)
if [[ -n $(leftovers) ]]; then
  echo "down.sh: processes still running for $RUN:" >&2
  leftovers >&2
  exit 1
fi

if [[ ${KEEP:-0} == 1 ]]; then
  log "kept $RUN (logs in $RUN/logs)"
else
  rm -rf "$RUN"
  log "removed $RUN"
fi

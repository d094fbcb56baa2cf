#!/usr/bin/env bash
# Runs autocanary-coordinator on this host against the local control plane
# (tests/cluster/up.sh), with the CRDs it needs installed, under the chart's own
# ServiceAccount and RBAC (rendered by helm for a release named autocanary), so
# every test and the demo run it with exactly what an installation grants, and
# the webhook recognises its updates.
#
#   scripts/local-coordinator.sh setup                 CRDs, namespace, ServiceAccount + RBAC, kubeconfig
#   scripts/local-coordinator.sh start NAME [FLAGS…]   start replica NAME (extra flags go to it)
#   scripts/local-coordinator.sh stop NAME [SIGNAL]    stop it (default TERM; KILL for a crash)
#
# Knobs: AUTOCANARY_RUN (the cluster's run dir), BUILD_DIR (default build/),
# POLICY_FILE (a canary policy in YAML), WEBHOOK_NAMESPACE (default autocanary-system).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
run=${AUTOCANARY_RUN:-/tmp/autocanary-cluster}
build_dir=${BUILD_DIR:-$root/build}
namespace=${WEBHOOK_NAMESPACE:-autocanary-system}
account=autocanary-coordinator  # the chart's, for a release named autocanary
state=$run/coordinator

[[ -f $run/env ]] || { echo "local-coordinator: no cluster in $run (run tests/cluster/up.sh)" >&2; exit 1; }
# shellcheck disable=SC1091
. "$run/env"

setup() {
  mkdir -p "$state"
  kubectl apply --server-side -f "$root/charts/autocanary/crds/" >/dev/null
  # Polled: `kubectl wait` fails outright while the CRD has no status conditions yet.
  local established=""
  for _ in $(seq 120); do
    established=$(kubectl get crd canaries.autocanary.io \
      -o jsonpath='{.status.conditions[?(@.type=="Established")].status}' 2>/dev/null || true)
    [[ $established == True ]] && break
    sleep 0.5
  done
  [[ $established == True ]] || { echo "local-coordinator: CRD canaries.autocanary.io not Established" >&2; exit 1; }
  kubectl create namespace "$namespace" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
  # helm's own state stays in the run dir.
  HELM_CACHE_HOME=$state/helm HELM_CONFIG_HOME=$state/helm HELM_DATA_HOME=$state/helm \
    helm template autocanary "$root/charts/autocanary" --namespace "$namespace" \
    --show-only templates/serviceaccounts.yaml --show-only templates/rbac.yaml | kubectl apply -f - >/dev/null
  local token server
  token=$(kubectl create token "$account" -n "$namespace" --duration=48h)
  server=$(kubectl config view --raw -o jsonpath='{.clusters[0].cluster.server}')
  cat >"$state/kubeconfig" <<YAML
apiVersion: v1
kind: Config
clusters:
  - name: local
    cluster:
      server: $server
      certificate-authority-data: $(kubectl config view --raw -o jsonpath='{.clusters[0].cluster.certificate-authority-data}')
users:
  - name: $account
    user:
      token: $token
contexts:
  - name: $account
    context: {cluster: local, user: $account}
current-context: $account
YAML
  chmod 600 "$state/kubeconfig"
  echo "local-coordinator: ready (ServiceAccount $namespace/$account, the chart's RBAC)"
}

start() {
  local name=$1
  shift
  [[ -f $state/kubeconfig ]] || setup
  local pidfile=$run/pids/80-coordinator-$name.pid
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  local policy=()
  [[ -n ${POLICY_FILE:-} ]] && policy=(--policy-file "$POLICY_FILE")
  # One seal key for every replica, as the chart's Secret gives them.
  [[ -s $state/policy-seal-key ]] || (umask 077 && head -c 32 /dev/urandom | base64 >"$state/policy-seal-key")
  "$build_dir/coordinator/autocanary-coordinator" --kubeconfig "$state/kubeconfig" --namespace "$namespace" \
    --identity "$name" --metrics-address 127.0.0.1 --metrics-port "$port" "${policy[@]}" \
    --policy-seal-key-file "$state/policy-seal-key" "$@" \
    >>"$state/$name.log" 2>&1 </dev/null &
  printf '%s %s\n' "$!" "$(readlink -f "$build_dir/coordinator/autocanary-coordinator")" >"$pidfile"
  echo "$port" >"$state/$name.port"
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
    kill -0 "$!" 2>/dev/null || { echo "local-coordinator: $name exited; see $state/$name.log" >&2; exit 1; }
    sleep 0.05
  done
  echo "local-coordinator: $name running (metrics http://127.0.0.1:$port/metrics, log $state/$name.log)"
}

stop() {
  local name=$1 signal=${2:-TERM}
  local pidfile=$run/pids/80-coordinator-$name.pid
  [[ -f $pidfile ]] || return 0
  local pid
  pid=$(cut -d' ' -f1 "$pidfile")
  kill "-$signal" "$pid" 2>/dev/null || true
  for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

case "${1:-}" in
  setup) setup ;;
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  *) echo "usage: $0 setup | start NAME [FLAGS…] | stop NAME [SIGNAL]" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Runs autocanary-webhook on this host next to the local control plane
# (tests/cluster/up.sh) and registers it with a MutatingWebhookConfiguration that
# points the apiserver at https://127.0.0.1:PORT/mutate.
#
#   scripts/local-webhook.sh start        certs, webhook process, registration
#   scripts/local-webhook.sh register     (re)apply the registration only
#   scripts/local-webhook.sh stop         stop the process (registration stays)
#   scripts/local-webhook.sh unregister   delete the registration
#
# Knobs: FAILURE_POLICY (Fail|Ignore, default Fail), AUTOCANARY_RUN (the cluster's
# run dir), BUILD_DIR (default build/), WEBHOOK_NAMESPACE (default autocanary-system),
# SHIM_IMAGE (the readiness shim's image; kwok's fake nodes never pull it).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
run=${AUTOCANARY_RUN:-/tmp/autocanary-cluster}
build_dir=${BUILD_DIR:-$root/build}
failure_policy=${FAILURE_POLICY:-Fail}
webhook_namespace=${WEBHOOK_NAMESPACE:-autocanary-system}
# The identity scripts/local-coordinator.sh runs the coordinator under.
coordinator_user="system:serviceaccount:$webhook_namespace:autocanary-coordinator"
state=$run/webhook
pidfile=$run/pids/90-autocanary-webhook.pid

[[ -f $run/env ]] || { echo "local-webhook: no cluster in $run (run tests/cluster/up.sh)" >&2; exit 1; }
# shellcheck disable=SC1091
. "$run/env"

register() {
  local port ca_bundle
  port=$(cat "$state/port")
  ca_bundle=$(base64 -w0 <"$state/ca.crt")
  kubectl apply -f - >/dev/null <<YAML
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: autocanary
  labels:
    app.kubernetes.io/name: autocanary
webhooks:
  - name: deployments.autocanary.io
    admissionReviewVersions: ["v1"]
    sideEffects: None
    timeoutSeconds: 5
    failurePolicy: $failure_policy
    matchPolicy: Equivalent
    reinvocationPolicy: IfNeeded
    clientConfig:
      url: https://127.0.0.1:$port/mutate
      caBundle: $ca_bundle
    rules:
      - apiGroups: ["apps"]
        apiVersions: ["v1"]
        operations: ["CREATE", "UPDATE"]
        resources: ["deployments"]
        scope: Namespaced
    # Only opted-in namespaces; never kube-system or our own, whatever their labels.
    namespaceSelector:
      matchExpressions:
        - {key: autocanary.io/enabled, operator: In, values: ["true"]}
        - {key: kubernetes.io/metadata.name, operator: NotIn, values: ["kube-system", "$webhook_namespace"]}
    # The coordinator's own updates (promotion) need no review.
    matchConditions:
      - name: not-the-coordinator
        expression: "request.userInfo.username != '$coordinator_user'"
  # Warns on a namespace labelled with an opt-in value other than true/false (as the chart does).
  - name: namespaces.autocanary.io
    admissionReviewVersions: ["v1"]
    sideEffects: None
    timeoutSeconds: 2
    failurePolicy: Ignore
    matchPolicy: Equivalent
    clientConfig:
      url: https://127.0.0.1:$port/mutate
      caBundle: $ca_bundle
    rules:
      - apiGroups: [""]
        apiVersions: ["v1"]
        operations: ["CREATE", "UPDATE"]
        resources: ["namespaces"]
        scope: Cluster
    objectSelector:
      matchExpressions:
        - {key: autocanary.io/enabled, operator: Exists}
        - {key: autocanary.io/enabled, operator: NotIn, values: ["true", "false"]}
YAML
  echo "local-webhook: registered https://127.0.0.1:$port/mutate (failurePolicy $failure_policy)"
}

start() {
  [[ -x $build_dir/webhook/autocanary-webhook ]] ||
    { echo "local-webhook: build first (scripts/build.sh)" >&2; exit 1; }
  if [[ -f $pidfile ]] && kill -0 "$(cut -d' ' -f1 "$pidfile")" 2>/dev/null; then
    echo "local-webhook: already running (pid $(cut -d' ' -f1 "$pidfile"))"
    return
  fi
  mkdir -p "$state"
  [[ -f $state/tls.crt ]] ||
    "$build_dir/certs/autocanary-certs" --out-dir "$state" --ip 127.0.0.1 --dns localhost >/dev/null
  [[ -f $state/port ]] ||
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' >"$state/port"
  local port
  port=$(cat "$state/port")
  "$build_dir/webhook/autocanary-webhook" --bind-address 127.0.0.1 --port "$port" \
    --tls-cert-file "$state/tls.crt" --tls-key-file "$state/tls.key" \
    --namespace "$webhook_namespace" --coordinator-username "$coordinator_user" \
    --shim-image "${SHIM_IMAGE:-registry.example.com/autocanary/shim:0.1.0}" \
    --drain-delay 0s >>"$state/webhook.log" 2>&1 </dev/null &
  printf '%s %s\n' "$!" "$(readlink -f "$build_dir/webhook/autocanary-webhook")" >"$pidfile"
  for _ in $(seq 100); do
    curl -sf --cacert "$state/ca.crt" "https://127.0.0.1:$port/readyz" >/dev/null && break
    sleep 0.05
  done
  curl -sf --cacert "$state/ca.crt" "https://127.0.0.1:$port/readyz" >/dev/null ||
    { echo "local-webhook: webhook did not become ready; see $state/webhook.log" >&2; exit 1; }
  echo "local-webhook: serving on https://127.0.0.1:$port (log: $state/webhook.log)"
  register
}

stop() {
  [[ -f $pidfile ]] || return 0
  local pid
  pid=$(cut -d' ' -f1 "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
  echo "local-webhook: stopped"
}

case "${1:-}" in
  start) start ;;
  register) register ;;
  stop) stop ;;
  unregister) kubectl delete mutatingwebhookconfiguration autocanary --ignore-not-found >/dev/null ;;
  *) echo "usage: $0 start|register|stop|unregister" >&2; exit 2 ;;
esac

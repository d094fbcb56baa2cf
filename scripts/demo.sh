#!/usr/bin/env bash
# The autocanary demo: starts a local Kubernetes control plane (built from Go
# modules, cached after the first run), runs the webhook on this host, and
# applies a plain Deployment v1 then v2 in an opted-in namespace to show what
# happens. Everything is stopped at the end (KEEP=1 leaves it running).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export AUTOCANARY_RUN=${AUTOCANARY_RUN:-/tmp/autocanary-demo}

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

step "Building autocanary and the local control plane (cached after the first run)"
"$root/scripts/bootstrap.sh"
"$root/scripts/build.sh" >/dev/null
"$root/tests/cluster/build.sh"

step "Starting etcd, kube-apiserver, controllers and kwok fake nodes on 127.0.0.1"
"$root/tests/cluster/up.sh"
if [[ ${KEEP:-0} != 1 ]]; then
  trap '"$root/tests/cluster/down.sh" >/dev/null' EXIT
fi
# shellcheck disable=SC1091
. "$AUTOCANARY_RUN/env"

step "Installing the CRDs, running the webhook and the coordinator on the host"
"$root/scripts/local-coordinator.sh" setup
"$root/scripts/local-webhook.sh" start

step "The cluster admin sets the default canary policy"
cat <<'YAML' | show kubectl apply -f -
apiVersion: autocanary.io/v1alpha1
kind: ClusterCanaryPolicy
metadata:
  name: default
spec:
  steps:
    - setWeight: 25
    - pause: {duration: 5s}
    - setWeight: 50
    - analysis: {names: [pod-health]}
    - pause: {}          # until a person approves
    - setWeight: 100
  abortScaleDownDelay: 10s
  # No mesh runs on this machine: split by pod count. The default, auto, would
  # split through Istio, SMI or Gateway API for a Deployment with a Service.
  trafficBackend: podRatio
YAML
"$root/scripts/local-coordinator.sh" start demo
canary_line() {
  kubectl get canary web -n shop --no-headers 2>/dev/null || echo "(no Canary yet)"
}

manifest() {
  cat <<YAML
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: $1
spec:
  replicas: 4
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: registry.example.com/shop/web:$2
          ports: [{containerPort: 8080}]
YAML
}
images() { kubectl get deploy web -n "$1" -o jsonpath='{.spec.template.spec.containers[0].image}{"\n"}'; }

step "A team opts its namespace in with one label"
show kubectl create namespace shop
show kubectl label namespace shop autocanary.io/enabled=true

step "kubectl apply of a plain Deployment, v1"
manifest shop 1.0.0 | show kubectl apply -f -
show kubectl rollout status deploy/web -n shop --timeout=90s
show kubectl get deploy web -n shop --show-labels

step "kubectl apply of v2 (new image): the live template stays v1, v2 is held as the pending canary revision"
manifest shop 2.0.0 | show kubectl apply -f -
printf 'live image:      '; images shop
printf 'pending revision: %s\n' "$(kubectl get deploy web -n shop -o jsonpath='{.metadata.annotations.autocanary\.io/pending-revision}')"
printf 'pending image:    %s\n' "$(kubectl get deploy web -n shop -o jsonpath='{.metadata.annotations.autocanary\.io/pending-template}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["spec"]["containers"][0]["image"])')"
show kubectl get replicasets,pods -n shop

step "Applying v2 again (a GitOps re-sync) stores nothing new"
kubectl rollout status deploy/web -n shop --timeout=90s >/dev/null
rv=$(kubectl get deploy web -n shop -o jsonpath='{.metadata.resourceVersion}')
manifest shop 2.0.0 | show kubectl apply -f -
printf 'resourceVersion before %s, after %s\n' "$rv" "$(kubectl get deploy web -n shop -o jsonpath='{.metadata.resourceVersion}')"

step "A namespace that did not opt in rolls as plain Kubernetes does"
show kubectl create namespace plain
manifest plain 1.0.0 | kubectl apply -f - >/dev/null
manifest plain 2.0.0 | show kubectl apply -f -
printf 'live image: '; images plain

step "The coordinator walks the canary: 25% (1 of 5 pods), pause, 50%, pod health, then waits for approval"
for _ in $(seq 120); do
  line=$(canary_line)
  [[ $line != "${last:-}" ]] && echo "$line" && last=$line
  [[ $line == *WaitingForApproval* ]] && break
  sleep 0.5
done
show kubectl get deploy,pods -n shop -L autocanary.io/track

step "A person approves: the Deployment rolls to v2 while the canary serves, then the canary goes"
show kubectl patch canary web -n shop --type merge -p '{"spec":{"promote":"approved-by-demo"}}'
show kubectl wait --for=condition=Canary deploy/web -n shop --timeout=120s
printf 'live image: '; images shop
show kubectl get canary web -n shop
kubectl get canary web -n shop -o jsonpath='{range .status.steps[*]}  step {.index}: {.description} -> {.result} {.message}{"\n"}{end}'
show kubectl get events -n shop --field-selector involvedObject.name=web --sort-by=.lastTimestamp

step "What the webhook counted"
curl -s --cacert "$AUTOCANARY_RUN/webhook/ca.crt" "https://127.0.0.1:$(cat "$AUTOCANARY_RUN/webhook/port")/metrics" |
  grep -E '^autocanary_webhook_(decisions|requests)_total'

step "Done"
if [[ ${KEEP:-0} == 1 ]]; then
  echo "The cluster keeps running: . $AUTOCANARY_RUN/env; stop it with tests/cluster/down.sh"
else
  echo "Stopping the control plane."
fi

#!/usr/bin/env bash
# The autocanary demo, on real pods: starts a local Kubernetes control plane
# with one real kubelet node (built from Go modules and cached after the first
# run), builds the project's images, `helm install`s autocanary so that its
# webhook and coordinator run as pods, then rolls a plain Deployment of a small
# HTTP app from v1 to v2 while a request loop through the Service's ClusterIP
# prints which version answered, step by step, and finally applies a v3 that
# crashes, which is rolled back. Everything is stopped at the end (KEEP=1 leaves
# it running). Needs root: the node runs containers.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export AUTOCANARY_RUN=${AUTOCANARY_RUN:-/tmp/autocanary-demo}
export BUILD_DIR=${BUILD_DIR:-$root/build-release}

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }
[[ $(id -u) == 0 ]] || { echo "demo.sh runs real containers: run it as root (sudo $0)" >&2; exit 1; }

step "Building autocanary, its images' binaries and the local cluster (cached after the first run)"
"$root/scripts/bootstrap.sh"
BUILD_TYPE=Release "$root/scripts/build.sh" >/dev/null
"$root/tests/cluster/build.sh"

step "Starting etcd, kube-apiserver, controllers, kwok fake nodes and one real node (kubelet, containerd, kube-proxy)"
REAL_NODE=1 "$root/tests/cluster/up.sh"
if [[ ${KEEP:-0} != 1 ]]; then
  trap '"$root/tests/cluster/down.sh" >/dev/null' EXIT
fi
# shellcheck disable=SC1091
. "$AUTOCANARY_RUN/env"
export HELM_CACHE_HOME=$AUTOCANARY_RUN/helm/cache HELM_CONFIG_HOME=$AUTOCANARY_RUN/helm/config
export HELM_DATA_HOME=$AUTOCANARY_RUN/helm/data

step "Building the images with no registry or container engine, importing them into the node"
"$root/scripts/images.sh"

step "helm install: the webhook and the coordinator as pods on the real node"
# The cluster's default policy: 25%, 50%, pod health, 100%, with short pauses so
# the loop below sees each step. No mesh runs here: traffic splits by pod count.
cat >"$AUTOCANARY_RUN/demo-values.yaml" <<YAML
image: {registry: localhost/autocanary, tag: dev, pullPolicy: Never}
webhook:
  nodeSelector: {autocanary.io/real-node: "true"}
  tolerations: [{key: autocanary.io/real-node, operator: Exists, effect: NoSchedule}]
coordinator:
  nodeSelector: {autocanary.io/real-node: "true"}
  tolerations: [{key: autocanary.io/real-node, operator: Exists, effect: NoSchedule}]
defaultPolicy:
  spec:
    steps:
      - setWeight: 25
      - pause: {duration: 8s}
      - setWeight: 50
      - pause: {duration: 8s}
      - analysis: {names: [pod-health]}
      - setWeight: 100
    trafficBackend: podRatio
    abortScaleDownDelay: 5s
YAML
show kubectl create namespace autocanary-system
show kubectl label namespace autocanary-system pod-security.kubernetes.io/enforce=restricted
show helm install autocanary "$root/charts/autocanary" -n autocanary-system \
  -f "$AUTOCANARY_RUN/demo-values.yaml" --wait --timeout 5m
show kubectl get pods -n autocanary-system -o wide

manifest() { # VERSION [ENV=VALUE...]: the app, a plain Deployment Pod Security "restricted" admits
  local version=$1 env="" kv
  shift
  for kv in "APP_VERSION=$version" "$@"; do env+="{name: ${kv%%=*}, value: \"${kv#*=}\"}, "; done
  cat <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      nodeSelector: {autocanary.io/real-node: "true"}
      tolerations: [{key: autocanary.io/real-node, operator: Exists, effect: NoSchedule}]
      terminationGracePeriodSeconds: 5
      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: web
          image: autocanary-test-app:dev
          imagePullPolicy: Never
          ports: [{containerPort: 8080}]
          env: [${env%, }]
          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
YAML
}

version_of() { curl -s --max-time 2 "http://$service_ip/" | sed -n 's/^version=\([^ ]*\).*/\1/p' || true; }
shares() { # 40 requests through the Service, each on its own connection: "v1 N  v2 N"
  local i
  for ((i = 0; i < 40; i++)); do version_of; done | sort | uniq -c | awk '{printf "%s %2d  ", $2, $1}'
}
only() { # VERSION: 10 requests in a row all answered by it
  local i
  for ((i = 0; i < 10; i++)); do [[ $(version_of) == "$1" ]] || return 1; done
}
pending() { kubectl get deploy web -n shop -o jsonpath='{.metadata.annotations.autocanary\.io/pending-revision}'; }

watch_rollout() { # REVISION: until its Canary ends, the step and weights beside what 40 requests saw
  local revision=$1 started=$SECONDS rev phase desc want actual
  for ((;;)); do
    IFS='|' read -r rev phase desc want actual < <(kubectl get canary web -n shop -o \
      jsonpath='{.status.revision}|{.status.phase}|{.status.stepDescription}|{.status.canaryWeight}|{.status.actualWeight}{"\n"}' \
      2>/dev/null || echo)
    if [[ $rev == "$revision" ]]; then
      printf '[%3ds] %-18s %-22s weight %3s%%, pods %3s%% | %s\n' $((SECONDS - started)) "$phase" "$desc" \
        "${want:-0}" "${actual:-0}" "$(shares)"
      [[ $phase == Succeeded || $phase == Failed ]] && return 0
    fi
    ((SECONDS - started < 600)) || { echo "demo: the rollout did not end in 10 minutes" >&2; exit 1; }
    sleep 1
  done
}

step "A team opts its namespace in with one label (and enforces Pod Security restricted)"
show kubectl create namespace shop
show kubectl label namespace shop autocanary.io/enabled=true pod-security.kubernetes.io/enforce=restricted

step "kubectl apply of a plain Deployment, v1, and its Service"
manifest v1 | show kubectl apply -f -
show kubectl expose deployment web -n shop --port 80 --target-port 8080
show kubectl rollout status deploy/web -n shop --timeout=180s
service_ip=$(kubectl get service web -n shop -o jsonpath='{.spec.clusterIP}')
until only v1; do sleep 0.5; done
echo "40 requests to http://$service_ip/: $(shares)"

step "kubectl apply of v2: a canary of real pods (the shim beside each), traffic by pod count, then promotion"
manifest v2 | show kubectl apply -f -
watch_rollout "$(pending)"
show kubectl rollout status deploy/web -n shop --timeout=180s
show kubectl get pods -n shop -o wide
kubectl get pods -n shop -o jsonpath='{range .items[*]}{.metadata.name}: {range .status.initContainerStatuses[*]}{.name} ready={.ready} {end}{range .status.containerStatuses[*]}{.name} ready={.ready}{end}{"\n"}{end}'
until only v2; do sleep 0.5; done
echo "40 requests: $(shares)"

step "kubectl apply of v3, which crashes 3 s after it starts: pod health aborts, the canary goes, v2 stays"
manifest v3 APP_EXIT_AFTER=3 | show kubectl apply -f -
watch_rollout "$(pending)"
kubectl get canary web -n shop -o jsonpath='{.status.message}{"\n"}'
printf 'live version: '
kubectl get deploy web -n shop -o jsonpath='{.spec.template.spec.containers[0].env[0].value}{"\n"}'
show kubectl get events -n shop --field-selector involvedObject.name=web --sort-by=.lastTimestamp
echo "40 requests: $(shares)"

step "Uninstalling autocanary: the Deployments stay as they are"
show helm uninstall autocanary -n autocanary-system --wait
show kubectl get deploy -n shop

step "Done"
if [[ ${KEEP:-0} == 1 ]]; then
  echo "The cluster keeps running: . $AUTOCANARY_RUN/env; stop it with tests/cluster/down.sh"
else
  echo "Stopping the cluster."
fi

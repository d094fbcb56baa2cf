#!/usr/bin/env bash
# Smoke check of the local control plane: start it, roll out a 3-replica
# Deployment on the kwok nodes, wait until all pods are Ready, tear it down.
# With REAL_NODE=1 also: the test app's image imported (scripts/images.sh), two
# real pods of it on the real node, answers through their Service's ClusterIP.
# Uses its own run dir (unless AUTOCANARY_RUN is set) so it never collides with
# a cluster already running for the demo. Exits non-zero on any failure.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export AUTOCANARY_RUN=${AUTOCANARY_RUN:-/tmp/autocanary-smoke.$$}
NS=smoke
REPLICAS=3

T0=$SECONDS
trap '"$HERE/down.sh"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

"$HERE/up.sh"
T_UP=$SECONDS
# shellcheck source=/dev/null
. "$AUTOCANARY_RUN/env"

kubectl create namespace "$NS" >/dev/null
# kwok never pulls images, so any image name works.
kubectl -n "$NS" apply -f - >/dev/null <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: $REPLICAS
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports:
        - containerPort: 80
EOF
kubectl -n "$NS" rollout status deployment/web --timeout=120s
kubectl -n "$NS" wait --for=condition=Ready pod -l app=web --timeout=60s >/dev/null
ready=$(kubectl -n "$NS" get pods -l app=web \
  -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c '^True$' || true)
if [[ $ready != "$REPLICAS" ]]; then
  kubectl -n "$NS" get pods -o wide >&2
  echo "smoke.sh: expected $REPLICAS Ready pods, got $ready" >&2
  exit 1
fi
kubectl -n "$NS" get pods -o wide

if [[ ${REAL_NODE:-0} == 1 ]]; then
  "$HERE/../../scripts/images.sh" all test-app
  kubectl -n "$NS" apply -f - >/dev/null <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  replicas: 2
  selector:
    matchLabels: {app: real}
  template:
    metadata:
      labels: {app: real}
    spec:
      nodeSelector: {autocanary.io/real-node: "true"}
      tolerations: [{key: autocanary.io/real-node, operator: Exists, effect: NoSchedule}]
      containers:
      - name: app
        image: autocanary-test-app:dev
        imagePullPolicy: Never
        env: [{name: APP_VERSION, value: smoke}]
        readinessProbe: {httpGet: {path: /ready, port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata:
  name: app
spec:
  selector: {app: real}
  ports: [{port: 80, targetPort: 8080}]
EOF
  kubectl -n "$NS" rollout status deployment/app --timeout=120s
  ip=$(kubectl -n "$NS" get service app -o jsonpath='{.spec.clusterIP}')
  # kube-proxy programs the Service a moment after its endpoints appear.
  for ((i = 0; i < 50; i++)); do curl -sf --max-time 2 "http://$ip/" >/dev/null && break; sleep 0.2; done
  for ((i = 0; i < 10; i++)); do curl -sf --max-time 2 "http://$ip/"; done | sort | uniq -c
  kubectl -n "$NS" get pods -o wide -l app=real
fi
T_ROLL=$SECONDS

"$HERE/down.sh"
trap - EXIT
echo "smoke OK: up $((T_UP - T0))s, rollout $((T_ROLL - T_UP))s, down $((SECONDS - T_ROLL))s, total $((SECONDS - T0))s"

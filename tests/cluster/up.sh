#!/usr/bin/env bash
# Start a local Kubernetes control plane on 127.0.0.1 for tests and the demo:
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok with
# three fake nodes, then install the upstream CRDs the traffic routers use.
#
# State lives in ${AUTOCANARY_RUN:-/tmp/autocanary-cluster}; afterwards
#   . "$AUTOCANARY_RUN/env"   # KUBECONFIG, PATH (kubectl), ports
# and stop everything with down.sh. On any failure the partial cluster is torn
# down again (KEEP=1 keeps the run dir with its logs).
#
# Knobs: AUTOCANARY_CACHE (binaries, see build.sh), AUTOCANARY_RUN,
# AUTOCANARY_CRDS_DIR (default: ../shared/crds next to the checkout; empty to skip),
# AUTOCANARY_NODES (default 3), AUTOCANARY_UP_TIMEOUT (seconds per wait, default 120),
# AUTOCANARY_KCM_FLAGS (more kube-controller-manager flags, split on spaces: the
# peers' memory bench raises its client QPS and sync workers),
# REAL_NODE=1 (also one real kubelet node on containerd, see real-node.sh; needs root;
# the apiserver then listens on the node's bridge address instead of 127.0.0.1, so
# pods reach it through the `kubernetes` Service).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=versions.env
. "$HERE/versions.env"

CACHE=${AUTOCANARY_CACHE:-$HOME/.cache/autocanary}
BIN=$CACHE/bin
RUN=${AUTOCANARY_RUN:-/tmp/autocanary-cluster}
CRDS_DIR=${AUTOCANARY_CRDS_DIR-$REPO/../shared/crds}
NODES=${AUTOCANARY_NODES:-3}
read -ra KCM_FLAGS <<<"${AUTOCANARY_KCM_FLAGS:-}"
TIMEOUT=${AUTOCANARY_UP_TIMEOUT:-120}
SERVICE_CIDR=10.96.0.0/16
SERVICE_IP=10.96.0.1 # first address of SERVICE_CIDR: the `kubernetes` Service
MARKER=.autocanary-cluster
REAL_NODE=${REAL_NODE:-0}
# shellcheck source-path=SCRIPTDIR source=real-node.sh
. "$HERE/real-node.sh"

T0=$EPOCHREALTIME
log() { printf '[up %6.2fs] %s\n' "$(elapsed)" "$*"; }
die() { printf 'up.sh: %s\n' "$*" >&2; exit 1; }
elapsed() {
  local now=$EPOCHREALTIME
  # EPOCHREALTIME is "seconds.micros"; integer maths avoids forking bc.
  echo "$(((${now/./} - ${T0/./}) / 1000))e-3"
}

# --- preconditions -----------------------------------------------------------

for b in etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok; do
  [[ -x $BIN/$b ]] || die "$BIN/$b missing: run tests/cluster/build.sh first"
done
# Stamps are written by build.sh as "<name> <version> <go> recipe=<n>".
for s in "kubernetes $K8S_VERSION" "etcd $ETCD_VERSION" "kwok $KWOK_VERSION"; do
  grep -qs "^$s " "$BIN/.stamp-${s%% *}" ||
    die "binaries in $BIN do not match versions.env ($s): run tests/cluster/build.sh"
done
STAGES=$CACHE/share/kwok-stages.yaml
[[ -f $STAGES ]] || die "$STAGES missing: run tests/cluster/build.sh"
for t in openssl curl ss base64; do command -v "$t" >/dev/null || die "$t not found"; done
if ((REAL_NODE)); then
  real_node_check
fi
if [[ -n $CRDS_DIR && ! -d $CRDS_DIR ]]; then
  die "CRD dir $CRDS_DIR not found (set AUTOCANARY_CRDS_DIR, or empty to skip)"
fi

if [[ -e $RUN ]]; then
  # Only ever reuse or delete a directory this script created.
  [[ -f $RUN/$MARKER ]] || die "$RUN exists and was not created by up.sh; choose another AUTOCANARY_RUN"
  for f in "$RUN"/pids/*.pid; do
    [[ -f $f ]] || continue
    read -r pid _ <"$f"
    kill -0 "$pid" 2>/dev/null && die "a cluster is already running in $RUN (pid $pid); run down.sh first"
  done
  rm -rf "$RUN"
fi
mkdir -p "$RUN"/{pids,logs,pki,etcd,kwok-home}
chmod 700 "$RUN/pki" "$RUN/etcd"
touch "$RUN/$MARKER"
PKI=$RUN/pki

ok=0
cleanup() {
  ((ok)) && return
  echo "up.sh: startup failed; last log lines:" >&2
  local f
  for f in "$RUN"/logs/*.log; do
    [[ -f $f ]] || continue
    printf '\n==> %s <==\n' "$f" >&2
    tail -n 15 "$f" >&2
  done
  AUTOCANARY_RUN=$RUN "$HERE/down.sh" >&2 || true
}
trap cleanup EXIT
# Turn signals into a normal exit so the EXIT trap tears down what started.
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# --- ports -------------------------------------------------------------------

# Random ports below the kernel's ephemeral range, skipping anything that is
# bound or connected right now; several clusters can run side by side.
declare -A taken=()
while read -r p; do taken[$p]=1; done < <(ss -Htan | awk '{n = split($4, a, ":"); print a[n]}')
# pick_port VAR: assigns in place (a $(...) subshell would lose `taken`).
pick_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 12000))
    [[ -z ${taken[$p]:-} ]] && break
  done
  taken[$p]=1
  printf -v "$1" '%s' "$p"
}
for v in ETCD_CLIENT_PORT ETCD_PEER_PORT APISERVER_PORT KCM_PORT SCHEDULER_PORT; do pick_port "$v"; done
# The apiserver has one listen address. Alone it is 127.0.0.1, and the
# `kubernetes` Service has no endpoint (a loopback address is not allowed
# there; nothing needs one). With the real node it is the node's bridge
# address, reachable from the host and from pods alike: the apiserver
# advertises it, so the `kubernetes` Service (10.96.0.1:443, what in-cluster
# clients dial) leads to it through kube-proxy. Still nothing beyond the machine.
if ((REAL_NODE)); then
  APISERVER_ADDRESS=$REAL_NODE_IP
  APISERVER_SAN=,IP:$REAL_NODE_IP
  ENDPOINT_RECONCILER=lease
else
  APISERVER_ADDRESS=127.0.0.1
  APISERVER_SAN=
  ENDPOINT_RECONCILER=none
fi
SERVER=https://$APISERVER_ADDRESS:$APISERVER_PORT

# --- certificates ------------------------------------------------------------

# ECDSA P-256 everywhere: key generation is instant, unlike RSA.
newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# make_ca NAME CN: self-signed CA. A self-contained config keeps it
# independent of the system openssl.cnf.
make_ca() {
  printf '%s\n' '[req]' 'distinguished_name=dn' '[dn]' '[ca]' \
    'basicConstraints=critical,CA:TRUE' 'keyUsage=critical,digitalSignature,keyCertSign,cRLSign' \
    'subjectKeyIdentifier=hash' >"$PKI/$1.cnf"
  newkey "$PKI/$1.key"
  openssl req -x509 -new -config "$PKI/$1.cnf" -extensions ca -key "$PKI/$1.key" \
    -subj "/CN=$2" -days 3650 -out "$PKI/$1.crt"
  rm -f "$PKI/$1.cnf"
}

# sign CA NAME SUBJECT EXTENSIONS: key + certificate signed by CA.
sign() {
  local ca=$1 name=$2 subj=$3 ext=$4
  newkey "$PKI/$name.key"
  openssl req -new -key "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr"
  printf '%s\n' "$ext" >"$PKI/$name.ext"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/$ca.crt" -CAkey "$PKI/$ca.key" \
    -CAserial "$PKI/$ca.srl" -CAcreateserial -days 3650 -extfile "$PKI/$name.ext" \
    -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$PKI/$name.ext"
}

client_ext=$'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth'

gen_pki() {
  make_ca ca autocanary-local-ca
  sign ca apiserver "/CN=kube-apiserver" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:$SERVICE_IP$APISERVER_SAN"
  # The built-in RBAC roles and bindings recognise these user and group names.
  sign ca admin "/O=system:masters/CN=autocanary-admin" "$client_ext"
  sign ca controller-manager "/CN=system:kube-controller-manager" "$client_ext"
  sign ca scheduler "/CN=system:kube-scheduler" "$client_ext"
  # The apiserver's identity towards kubelets (logs, exec, port-forward).
  sign ca apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "$client_ext"

  # Front-proxy (request-header) CA: without it the controller-manager and
  # scheduler log an error about the missing CA bundle every few seconds.
  make_ca front-proxy-ca autocanary-front-proxy-ca
  sign front-proxy-ca front-proxy-client "/CN=front-proxy-client" "$client_ext"

  newkey "$PKI/sa.key"
  openssl pkey -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub"
  chmod 600 "$PKI"/*.key
}

# kubeconfig FILE USER: embed everything so the file can be copied elsewhere.
kubeconfig() {
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: autocanary
  cluster:
    server: $SERVER
    certificate-authority-data: $(base64 -w0 "$PKI/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $(base64 -w0 "$PKI/$2.crt")
    client-key-data: $(base64 -w0 "$PKI/$2.key")
contexts:
- name: autocanary
  context:
    cluster: autocanary
    user: $2
    namespace: default
current-context: autocanary
EOF
  chmod 600 "$1"
}

# --- processes ---------------------------------------------------------------

declare -a started=()
# start ORDER NAME ARGS...: run $BIN/NAME in the background, logging to
# logs/NAME.log. The pid file holds "pid binary" so down.sh can check that a
# pid still belongs to us before signalling it. ORDER sorts the teardown.
start() {
  local order=$1 name=$2
  shift 2
  "$BIN/$name" "$@" >"$RUN/logs/$name.log" 2>&1 </dev/null &
  printf '%s %s\n' "$!" "$BIN/$name" >"$RUN/pids/$order-$name.pid"
  started+=("$name:$!")
}

# wait_until DESCRIPTION COMMAND...: poll until COMMAND succeeds; give up after
# TIMEOUT seconds or as soon as one of our processes has died.
wait_until() {
  local desc=$1 deadline=$((SECONDS + TIMEOUT)) s
  shift
  # The subshell matters: bash 5.2 loses a TERM trap that arrives while a
  # function's output is redirected in the current shell.
  until ("$@") >/dev/null 2>&1; do
    for s in "${started[@]}"; do
      kill -0 "${s#*:}" 2>/dev/null || die "${s%%:*} exited while waiting for $desc (see $RUN/logs/${s%%:*}.log)"
    done
    ((SECONDS < deadline)) || die "timed out after ${TIMEOUT}s waiting for $desc"
    sleep 0.2
  done
  log "$desc"
}

healthy() { curl -sfk --max-time 2 "$@"; }
apiserver_ready() {
  [[ $(curl -sf --max-time 2 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
    "$SERVER/readyz") == ok ]]
}

# kubectl keeps its discovery cache per run dir instead of ~/.kube/cache, where
# every random port would leave a directory behind.
export KUBECACHEDIR=$RUN/kube-cache
# An array, not a function, for the same TERM-trap reason as in wait_until.
k=("$BIN/kubectl" --kubeconfig "$RUN/kubeconfig")

gen_pki
if ((REAL_NODE)); then
  # The bridge carries the apiserver's address, so it comes first.
  real_node_prepare
fi
kubeconfig "$RUN/kubeconfig" admin
kubeconfig "$RUN/controller-manager.kubeconfig" controller-manager
kubeconfig "$RUN/scheduler.kubeconfig" scheduler
log "certificates and kubeconfigs in $RUN"

# Plain HTTP is fine: etcd only listens on loopback and only the apiserver
# talks to it. Skipping fsync makes writes much cheaper; the data is throwaway.
start 10 etcd \
  --name=autocanary \
  --data-dir="$RUN/etcd" \
  --listen-client-urls="http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --advertise-client-urls="http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster="autocanary=http://127.0.0.1:$ETCD_PEER_PORT" \
  --unsafe-no-fsync \
  --log-level=warn
wait_until "etcd healthy on :$ETCD_CLIENT_PORT" healthy "http://127.0.0.1:$ETCD_CLIENT_PORT/health"

# The endpoint reconciler writes the `kubernetes` Service's endpoint (see
# APISERVER_ADDRESS above): none on loopback, the bridge address otherwise.
start 20 kube-apiserver \
  --bind-address="$APISERVER_ADDRESS" \
  --advertise-address="$APISERVER_ADDRESS" \
  --secure-port="$APISERVER_PORT" \
  --cert-dir="$PKI/apiserver-generated" \
  --etcd-servers="http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --tls-cert-file="$PKI/apiserver.crt" \
  --tls-private-key-file="$PKI/apiserver.key" \
  --client-ca-file="$PKI/ca.crt" \
  --requestheader-client-ca-file="$PKI/front-proxy-ca.crt" \
  --requestheader-allowed-names=front-proxy-client \
  --requestheader-username-headers=X-Remote-User \
  --requestheader-group-headers=X-Remote-Group \
  --requestheader-extra-headers-prefix=X-Remote-Extra- \
  --proxy-client-cert-file="$PKI/front-proxy-client.crt" \
  --proxy-client-key-file="$PKI/front-proxy-client.key" \
  --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" \
  --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
  --kubelet-certificate-authority="$PKI/ca.crt" \
  --kubelet-preferred-address-types=InternalIP,Hostname \
  --authorization-mode=Node,RBAC \
  --enable-admission-plugins=MutatingAdmissionWebhook,ValidatingAdmissionWebhook \
  --service-cluster-ip-range="$SERVICE_CIDR" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$PKI/sa.pub" \
  --service-account-signing-key-file="$PKI/sa.key" \
  --endpoint-reconciler-type="$ENDPOINT_RECONCILER" \
  --allow-privileged=true \
  --profiling=false \
  --v=1
wait_until "kube-apiserver ready on :$APISERVER_PORT" apiserver_ready

# Leader election off: there is exactly one of each, and it saves the lease
# acquisition delay. Service-account credentials give every controller its own
# RBAC identity, as in a real cluster. The flex-volume dir would otherwise be
# created under /usr/libexec; a 1s node monitor period lifts the not-ready
# taint of new nodes sooner.
start 30 kube-controller-manager \
  --kubeconfig="$RUN/controller-manager.kubeconfig" \
  --authentication-kubeconfig="$RUN/controller-manager.kubeconfig" \
  --authorization-kubeconfig="$RUN/controller-manager.kubeconfig" \
  --bind-address=127.0.0.1 \
  --secure-port="$KCM_PORT" \
  --cert-dir="$PKI/controller-manager-generated" \
  --leader-elect=false \
  --use-service-account-credentials=true \
  --service-account-private-key-file="$PKI/sa.key" \
  --root-ca-file="$PKI/ca.crt" \
  --cluster-signing-cert-file="$PKI/ca.crt" \
  --cluster-signing-key-file="$PKI/ca.key" \
  --service-cluster-ip-range="$SERVICE_CIDR" \
  --flex-volume-plugin-dir="$RUN/flexvolume" \
  --node-monitor-period=1s \
  --profiling=false \
  --v=1 \
  "${KCM_FLAGS[@]}"
start 40 kube-scheduler \
  --kubeconfig="$RUN/scheduler.kubeconfig" \
  --authentication-kubeconfig="$RUN/scheduler.kubeconfig" \
  --authorization-kubeconfig="$RUN/scheduler.kubeconfig" \
  --bind-address=127.0.0.1 \
  --secure-port="$SCHEDULER_PORT" \
  --cert-dir="$PKI/scheduler-generated" \
  --leader-elect=false \
  --profiling=false \
  --v=1
# kwok plays kubelet for nodes carrying the annotation below only. Its own
# HOME keeps a personal ~/.kwok/kwok.yaml from adding stages. No --node-port:
# kwok then serves nothing (its server would bind 0.0.0.0).
HOME=$RUN/kwok-home start 50 kwok \
  --kubeconfig="$RUN/kubeconfig" \
  --config="$STAGES" \
  --manage-all-nodes=false \
  --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
  --node-lease-duration-seconds=40 \
  --cidr=10.244.0.0/16

# The real node overlaps with the controller-manager's startup as well.
if ((REAL_NODE)); then
  real_node_up
fi

wait_until "kube-controller-manager healthy on :$KCM_PORT" healthy "https://127.0.0.1:$KCM_PORT/healthz"
wait_until "kube-scheduler healthy on :$SCHEDULER_PORT" healthy "https://127.0.0.1:$SCHEDULER_PORT/healthz"

# Fake nodes: roomy allocatable so tests never hit scheduling limits.
nodes_yaml() {
  local i
  for ((i = 0; i < NODES; i++)); do
    cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    type: kwok
    kubernetes.io/arch: amd64
    kubernetes.io/hostname: kwok-node-$i
    kubernetes.io/os: linux
    kubernetes.io/role: agent
    node-role.kubernetes.io/agent: ""
spec: {}
status:
  allocatable: {cpu: "32", memory: 256Gi, pods: "110", ephemeral-storage: 1Ti}
  capacity: {cpu: "32", memory: 256Gi, pods: "110", ephemeral-storage: 1Ti}
  nodeInfo:
    architecture: amd64
    operatingSystem: linux
    kubeletVersion: fake
    kubeProxyVersion: fake
EOF
  done
}
nodes_yaml | "${k[@]}" apply -f - >/dev/null

# The CRDs only need the apiserver; installing them now overlaps with the
# controller-manager's startup (a few seconds of creating controller tokens).
if [[ -n $CRDS_DIR ]]; then
  crd_args=()
  while IFS= read -r f; do crd_args+=(-f "$f"); done < <(
    find "$CRDS_DIR" -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) | sort)
  ((${#crd_args[@]})) || die "no CRD files in $CRDS_DIR"
  "${k[@]}" apply --server-side "${crd_args[@]}" >/dev/null
  log "applied $((${#crd_args[@]} / 2)) CRD files from $CRDS_DIR"
  wait_until "CRDs Established" "${k[@]}" wait --for=condition=Established crd --all --timeout=5s
fi

wait_until "$NODES nodes Ready" "${k[@]}" wait --for=condition=Ready node -l type=kwok --timeout=5s
# The node lifecycle controller taints new nodes not-ready until it sees them
# Ready; wait for that to clear so pods schedule at once.
untainted() { [[ -z $("${k[@]}" get nodes -l type=kwok -o jsonpath='{.items[*].spec.taints}') ]]; }
wait_until "node taints cleared" untainted
wait_until "default ServiceAccount exists" "${k[@]}" -n default get serviceaccount default
if ((REAL_NODE)); then
  real_node_wait
fi

cat >"$RUN/env" <<EOF
# Generated by tests/cluster/up.sh; source it to use the local cluster.
export AUTOCANARY_RUN=$(printf %q "$RUN")
export KUBECONFIG=$(printf %q "$RUN/kubeconfig")
export PATH=$(printf %q "$BIN"):\$PATH
export KUBECACHEDIR=$(printf %q "$KUBECACHEDIR")
export AUTOCANARY_APISERVER_URL=$SERVER
export AUTOCANARY_APISERVER_PORT=$APISERVER_PORT
export AUTOCANARY_ETCD_CLIENT_PORT=$ETCD_CLIENT_PORT
export AUTOCANARY_ETCD_PEER_PORT=$ETCD_PEER_PORT
export AUTOCANARY_CONTROLLER_MANAGER_PORT=$KCM_PORT
export AUTOCANARY_SCHEDULER_PORT=$SCHEDULER_PORT
export AUTOCANARY_CLUSTER_CA=$(printf %q "$PKI/ca.crt")
export AUTOCANARY_CLUSTER_CA_KEY=$(printf %q "$PKI/ca.key")
EOF
if ((REAL_NODE)); then
  real_node_env >>"$RUN/env"
fi

ok=1
log "cluster up: $SERVER (Kubernetes $K8S_VERSION, etcd $ETCD_VERSION, kwok $KWOK_VERSION)"
if ((REAL_NODE)); then
  log "real node $REAL_NODE_IP (containerd $CONTAINERD_VERSION; pods need the toleration $REAL_NODE_TAINT)"
fi
echo "  . $RUN/env   # then: kubectl get nodes"
printf 'startup took %.1fs\n' "$(elapsed)"

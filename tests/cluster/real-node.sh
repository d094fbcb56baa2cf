# shellcheck shell=bash
# The real node of the local cluster (REAL_NODE=1 tests/cluster/up.sh): one
# kubelet on containerd + runc with a bridge CNI, and kube-proxy (nftables).
# Sourced by up.sh (real_node_check, real_node_prepare, real_node_up and
# real_node_wait, which use its start/wait_until/sign/kubeconfig helpers) and
# down.sh (real_node_kill_containers, real_node_host_cleanup). Needs root.
#
# Fixed addresses, so only one real node runs per machine: the bridge acbr0
# holds the node IP 10.245.0.1, which is also the node's name (an IP needs no
# name lookup when the apiserver dials the kubelet) and the apiserver's listen
# address (pods reach it through the `kubernetes` Service); pods get
# 10.245.0.2-254. Nothing listens beyond the bridge and 127.0.0.1.
#
# Host state the node changes outside the run dir is recorded in
# $RUN/node/host-state at start and put back by real_node_host_cleanup: host paths it
# creates (/var/lib/kubelet/device-plugins, /run/containerd/s, /var/lib/cni,
# /var/log/containers, ...), the sysctls the kubelet and the bridge plugin
# set, nftables tables, cgroups (kubepods), the bridge and the veths.

REAL_NODE_IP=10.245.0.1
REAL_NODE_POD_CIDR=10.245.0.0/24
REAL_NODE_BRIDGE=acbr0
REAL_NODE_LABEL=autocanary.io/real-node
REAL_NODE_TAINT=autocanary.io/real-node=true:NoSchedule
REAL_NODE_PAUSE_IMAGE=docker.io/library/autocanary-pause:dev
REAL_NODE_BINARIES=(containerd ctr containerd-shim-runc-v2 kubelet kube-proxy)
# Paths outside the run dir that the kubelet, containerd, the shims or the CNI
# plugins may create; the ones missing at start are removed at the end.
REAL_NODE_HOST_PATHS=(/var/lib/kubelet /var/lib/cni /run/containerd /var/run/containerd /var/log/pods
  /var/log/containers /usr/libexec/kubernetes /etc/cni /opt/cni /opt/containerd /var/run/nri /run/nri
  /etc/kubernetes /var/lib/containerd /run/netns /var/run/netns /etc/cdi /var/run/cdi /run/mount)
# Sysctls the kubelet (kernel tunables), the bridge plugin (forwarding) and
# kube-proxy may change; restored to their values at start.
REAL_NODE_SYSCTLS=(kernel.panic kernel.panic_on_oops vm.overcommit_memory vm.panic_on_oom
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes net.ipv4.ip_forward net.ipv4.conf.all.forwarding
  net.ipv4.conf.default.forwarding net.ipv6.conf.all.forwarding net.ipv6.conf.default.forwarding
  net.ipv4.conf.all.route_localnet net.netfilter.nf_conntrack_max
  net.netfilter.nf_conntrack_tcp_timeout_established net.netfilter.nf_conntrack_tcp_timeout_close_wait
  net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables)

# real_node_check: die unless the node can start here.
real_node_check() {
  local b
  [[ $(id -u) == 0 ]] || die "REAL_NODE=1 needs root (containers, cgroups, the bridge)"
  for b in "${REAL_NODE_BINARIES[@]}"; do
    [[ -x $BIN/$b ]] || die "$BIN/$b missing: run tests/cluster/build.sh"
  done
  grep -qs "^kubernetes-node $K8S_VERSION " "$BIN/.stamp-kubernetes-node" &&
    grep -qs "^containerd $CONTAINERD_VERSION " "$BIN/.stamp-containerd" ||
    die "node binaries in $BIN do not match versions.env: run tests/cluster/build.sh"
  for b in runc nft ip sysctl; do command -v "$b" >/dev/null || die "$b not found (scripts/bootstrap.sh)"; done
  [[ -x $REAL_NODE_CNI_BIN/bridge && -x $REAL_NODE_CNI_BIN/host-local && -x $REAL_NODE_CNI_BIN/loopback ]] ||
    die "CNI plugins missing in $REAL_NODE_CNI_BIN (Debian containernetworking-plugins)"
  ! ip link show "$REAL_NODE_BRIDGE" >/dev/null 2>&1 ||
    die "bridge $REAL_NODE_BRIDGE exists: another real node is running (only one per machine)"
}
REAL_NODE_CNI_BIN=${AUTOCANARY_CNI_BIN:-/usr/lib/cni}

# real_node_record: what down must put back, written before anything changes.
real_node_record() {
  local state=$RUN/node/host-state p s c
  mkdir -p "$state"
  for p in "${REAL_NODE_HOST_PATHS[@]}"; do
    [[ -e $p || -L $p ]] || echo "$p"
  done >"$state/created-paths"
  for s in "${REAL_NODE_SYSCTLS[@]}"; do
    sysctl -n "$s" >/dev/null 2>&1 && printf '%s=%s\n' "$s" "$(sysctl -n "$s" | tr '\t' ' ')"
  done >"$state/sysctls"
  nft list tables >"$state/nft-tables" 2>/dev/null || true
  for c in /sys/fs/cgroup/*/; do
    [[ -d ${c}kubepods ]] || echo "${c}kubepods"
  done >"$state/created-cgroups"
}

real_node_pki() {
  # The kubelet's client identity (Node authorizer) and serving certificate;
  # the apiserver's client for kubelet calls (logs, exec) is made by up.sh.
  sign ca kubelet "/O=system:nodes/CN=system:node:$REAL_NODE_IP" "$client_ext"
  sign ca kubelet-serving "/CN=$REAL_NODE_IP" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:$REAL_NODE_IP,IP:127.0.0.1"
  sign ca kube-proxy "/CN=system:kube-proxy" "$client_ext"
  chmod 600 "$PKI"/*.key
  kubeconfig "$RUN/kubelet.kubeconfig" kubelet
  kubeconfig "$RUN/kube-proxy.kubeconfig" kube-proxy
}

real_node_config() {
  local node=$RUN/node
  mkdir -p "$node"/{containerd/root,containerd/state,runc,cni/net.d,cni/networks,kubelet,pod-logs,opt}
  CONTAINERD_SOCK=$node/containerd/containerd.sock
  cat >"$node/containerd.toml" <<EOF
# Generated by tests/cluster/real-node.sh.
version = 3
root = '$node/containerd/root'
state = '$node/containerd/state'
imports = []
# NRI would listen on /var/run/nri; nothing here uses it.
disabled_plugins = ['io.containerd.nri.v1.nri']

[grpc]
  address = '$CONTAINERD_SOCK'

[ttrpc]
  address = '$CONTAINERD_SOCK.ttrpc'

[plugins]
  [plugins.'io.containerd.internal.v1.opt']
    path = '$node/opt'

  [plugins.'io.containerd.cri.v1.images']
    snapshotter = 'overlayfs'
    [plugins.'io.containerd.cri.v1.images'.pinned_images]
      sandbox = '$REAL_NODE_PAUSE_IMAGE'

  [plugins.'io.containerd.cri.v1.runtime']
    # Without CAP_SYS_RESOURCE runc cannot give the sandbox oom_score_adj -998.
    restrict_oom_score_adj = true
    # Pod network namespaces under the state dir instead of /run/netns.
    netns_mounts_under_state_dir = true
    cdi_spec_dirs = []

    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = 'io.containerd.runc.v2'
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        BinaryName = '$(command -v runc)'
        Root = '$node/runc'
        SystemdCgroup = false

    [plugins.'io.containerd.cri.v1.runtime'.cni]
      bin_dirs = ['$REAL_NODE_CNI_BIN']
      conf_dir = '$node/cni/net.d'
      max_conf_num = 1

  [plugins.'io.containerd.grpc.v1.cri']
    stream_server_address = '127.0.0.1'
    stream_server_port = '0'
EOF
  # No masquerading and no port mapping: nothing leaves the machine, so the
  # plugins add no iptables rules. Pods route the pod subnet and, through the
  # bridge, the Service CIDR (kube-proxy's ClusterIPs, the apiserver's
  # `kubernetes` Service among them) and nothing else: no default route.
  cat >"$node/cni/net.d/10-autocanary.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "autocanary",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$REAL_NODE_BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$REAL_NODE_POD_CIDR", "gateway": "$REAL_NODE_IP"}]],
        "routes": [{"dst": "$SERVICE_CIDR"}],
        "dataDir": "$node/cni/networks"
      }
    }
  ]
}
EOF
  # failCgroupV1/cgroupfs: this machine has cgroup v1. Image garbage collection
  # off: images are imported, never pulled, so a collected one is gone for good.
  # Eviction thresholds low: a test node must not evict on a full-ish disk.
  cat >"$node/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
address: $REAL_NODE_IP
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
tlsCertFile: $PKI/kubelet-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization:
  mode: Webhook
clusterDomain: cluster.local
failSwapOn: false
volumePluginDir: $node/kubelet/volume-plugins
podLogsDirectory: $node/pod-logs
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 100Mi
  nodefs.available: 1%
  nodefs.inodesFree: 1%
  imagefs.available: 1%
registerWithTaints:
- {key: ${REAL_NODE_TAINT%%=*}, value: "true", effect: NoSchedule}
maxPods: 50
serializeImagePulls: false
EOF
}

# real_node_prepare: before the apiserver starts (it listens on the node IP),
# record the host state, then make the bridge. It exists before the first pod
# so the node IP (the apiserver's and the kubelet's address) is there from the
# start; the bridge plugin adopts it.
real_node_prepare() {
  real_node_record
  ip link add "$REAL_NODE_BRIDGE" type bridge
  ip addr add "$REAL_NODE_IP/24" dev "$REAL_NODE_BRIDGE"
  ip link set "$REAL_NODE_BRIDGE" up
}

# real_node_up: after real_node_prepare and the apiserver, the node's processes.
real_node_up() {
  for v in KUBELET_PORT KUBELET_HEALTHZ_PORT KUBE_PROXY_HEALTHZ_PORT KUBE_PROXY_METRICS_PORT; do pick_port "$v"; done
  real_node_pki
  real_node_config

  # The runc shim is found on containerd's PATH.
  PATH=$BIN:$PATH start 60 containerd --config "$RUN/node/containerd.toml" --log-level warn
  wait_until "containerd serving on $CONTAINERD_SOCK" "$BIN/ctr" --address "$CONTAINERD_SOCK" version
  AUTOCANARY_CONTAINERD_ADDRESS=$CONTAINERD_SOCK AUTOCANARY_BIN=$BIN "$REPO/scripts/images.sh" build pause >/dev/null
  AUTOCANARY_CONTAINERD_ADDRESS=$CONTAINERD_SOCK AUTOCANARY_BIN=$BIN "$REPO/scripts/images.sh" import pause >/dev/null
  log "pause image imported"

  start 70 kubelet \
    --config="$RUN/node/kubelet.yaml" \
    --kubeconfig="$RUN/kubelet.kubeconfig" \
    --root-dir="$RUN/node/kubelet" \
    --hostname-override="$REAL_NODE_IP" \
    --node-ip="$REAL_NODE_IP" \
    --node-labels="$REAL_NODE_LABEL=true,type=real" \
    --v=1
  # Conntrack and localhost settings stay as they are (0 = leave the sysctl).
  start 80 kube-proxy \
    --kubeconfig="$RUN/kube-proxy.kubeconfig" \
    --hostname-override="$REAL_NODE_IP" \
    --proxy-mode=nftables \
    --cluster-cidr="$REAL_NODE_POD_CIDR" \
    --nodeport-addresses="$REAL_NODE_IP/32" \
    --healthz-bind-address="127.0.0.1:$KUBE_PROXY_HEALTHZ_PORT" \
    --metrics-bind-address="127.0.0.1:$KUBE_PROXY_METRICS_PORT" \
    --conntrack-max-per-core=0 \
    --conntrack-tcp-timeout-established=0 \
    --conntrack-tcp-timeout-close-wait=0 \
    --v=1
}

# real_node_wait: after the control plane is up, the node is Ready and untainted
# of not-ready, and kube-proxy has synced.
real_node_wait() {
  wait_until "kubelet healthy on :$KUBELET_HEALTHZ_PORT" curl -sf --max-time 2 "http://127.0.0.1:$KUBELET_HEALTHZ_PORT/healthz"
  wait_until "real node $REAL_NODE_IP Ready" "${k[@]}" wait --for=condition=Ready "node/$REAL_NODE_IP" --timeout=5s
  real_node_untainted() {
    [[ $("${k[@]}" get node "$REAL_NODE_IP" -o jsonpath='{.spec.taints[*].key}') == "${REAL_NODE_TAINT%%=*}" ]]
  }
  wait_until "real node's not-ready taint cleared" real_node_untainted
  wait_until "kube-proxy healthy on :$KUBE_PROXY_HEALTHZ_PORT" curl -sf --max-time 2 "http://127.0.0.1:$KUBE_PROXY_HEALTHZ_PORT/healthz"
}

real_node_env() {
  cat <<EOF
export AUTOCANARY_BIN=$(printf %q "$BIN")
export AUTOCANARY_REAL_NODE=$REAL_NODE_IP
export AUTOCANARY_REAL_NODE_LABEL=$REAL_NODE_LABEL=true
export AUTOCANARY_REAL_NODE_TAINT=$REAL_NODE_TAINT
export AUTOCANARY_REAL_NODE_POD_CIDR=$REAL_NODE_POD_CIDR
export AUTOCANARY_CONTAINERD_ADDRESS=$(printf %q "$CONTAINERD_SOCK")
export AUTOCANARY_KUBELET_PORT=$KUBELET_PORT
export AUTOCANARY_KUBELET_HEALTHZ_PORT=$KUBELET_HEALTHZ_PORT
export AUTOCANARY_KUBE_PROXY_HEALTHZ_PORT=$KUBE_PROXY_HEALTHZ_PORT
export AUTOCANARY_KUBE_PROXY_METRICS_PORT=$KUBE_PROXY_METRICS_PORT
EOF
}

# --- teardown (down.sh) ------------------------------------------------------

# real_node_kill_containers: with the kubelet stopped and containerd still up,
# kill and delete every container (pods and sandboxes), so the shims exit.
real_node_kill_containers() {
  local sock=$RUN/node/containerd/containerd.sock id
  [[ -S $sock ]] || return 0
  local ctr=("$BIN/ctr" --address "$sock" --timeout 10s -n k8s.io)
  "${ctr[@]}" version >/dev/null 2>&1 || return 0
  for id in $("${ctr[@]}" tasks ls -q 2>/dev/null); do
    "${ctr[@]}" tasks kill --all --signal SIGKILL "$id" >/dev/null 2>&1 || true
  done
  for id in $("${ctr[@]}" tasks ls -q 2>/dev/null); do
    "${ctr[@]}" tasks delete --force "$id" >/dev/null 2>&1 || true
  done
  for id in $("${ctr[@]}" containers ls -q 2>/dev/null); do
    "${ctr[@]}" containers delete "$id" >/dev/null 2>&1 || true
  done
  log "removed the real node's containers"
  return 0
}

# real_node_host_cleanup: after every process stopped, undo the host changes.
real_node_host_cleanup() {
  local state=$RUN/node/host-state m p line key value cur t c dirs
  [[ -d $state ]] || return 0
  # Container processes that outlived containerd (it crashed, or was killed
  # before it could remove them) are still in the kubelet's cgroups.
  local pids=() n
  if [[ -f $state/created-cgroups ]]; then
    while read -r c; do
      [[ -d $c ]] || continue
      mapfile -t -O "${#pids[@]}" pids < <(find "$c" -name cgroup.procs -exec cat {} + 2>/dev/null)
    done <"$state/created-cgroups"
  fi
  if ((${#pids[@]})); then
    mapfile -t pids < <(printf '%s\n' "${pids[@]}" | sort -u)
    log "killing ${#pids[@]} leftover container processes: ${pids[*]}"
    kill -KILL "${pids[@]}" 2>/dev/null || true
    for ((n = 0; n < 50; n++)); do
      for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && break; done
      kill -0 "$p" 2>/dev/null || break
      sleep 0.1
    done
  fi
  # Mounts (overlay rootfs, netns bind mounts, projected volumes), deepest
  # first. containerd's state and the kubelet's root dir are in the run dir, so
  # every mount of ours is too.
  while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "cannot unmount $m"
  done < <(awk -v run="$RUN/" '{gsub(/\\040/, " ", $2); if (index($2, run) == 1) print $2}' /proc/mounts | sort -r)
  # Veths left on the bridge go with their namespaces; the bridge goes here.
  if ip link show "$REAL_NODE_BRIDGE" >/dev/null 2>&1; then
    for p in $(ip -o link show master "$REAL_NODE_BRIDGE" 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1); do
      ip link delete "$p" 2>/dev/null || true
    done
    ip link delete "$REAL_NODE_BRIDGE" && log "deleted bridge $REAL_NODE_BRIDGE"
  fi
  # nftables tables that appeared (kube-proxy's, and any iptables-nft ones).
  if [[ -f $state/nft-tables ]]; then
    # kube-proxy's tables, and the iptables-nft ones the kubelet's KUBE-FIREWALL
    # and canary chains bring along.
    while read -r t; do
      if [[ -n $t ]] && ! grep -qxF "$t" "$state/nft-tables" && nft "delete $t"; then
        log "deleted nftables $t"
      fi
    done < <(nft list tables 2>/dev/null)
  fi
  if [[ -f $state/sysctls ]]; then
    while IFS= read -r line; do
      key=${line%%=*} value=${line#*=}
      cur=$(sysctl -n "$key" 2>/dev/null | tr '\t' ' ') || continue
      if [[ $cur != "$value" ]] && sysctl -qw "$key=$value"; then log "restored $key=$value (was $cur)"; fi
    done <"$state/sysctls"
  fi
  # Cgroups the kubelet created: empty once every container is gone.
  if [[ -f $state/created-cgroups ]]; then
    while read -r c; do
      [[ -d $c ]] || continue
      mapfile -t dirs < <(find "$c" -depth -type d 2>/dev/null)
      for p in "${dirs[@]}"; do rmdir "$p" 2>/dev/null || true; done
      if [[ -d $c ]]; then log "cgroup $c still in use"; fi
    done <"$state/created-cgroups"
  fi
  if [[ -f $state/created-paths ]]; then
    while read -r p; do
      if [[ -n $p && ( -e $p || -L $p ) ]] && rm -rf "$p"; then log "removed $p"; fi
    done <"$state/created-paths"
  fi
  return 0
}

#!/usr/bin/env bash
# Build the local control-plane binaries (kube-apiserver, kube-controller-manager,
# kube-scheduler, kubectl, etcd, kwok), helm, and the real node's kubelet,
# kube-proxy and containerd (+ ctr, containerd-shim-runc-v2), traefik (the Gateway API
# proxy of the e2e tests and bench), and the peers bench/peers/ measures beside us
# (Flagger, Kruise Rollout; only with PEERS=1: bench/peers/run.sh asks for them,
# the tests never need them) from Go modules and cache them under
# ${AUTOCANARY_CACHE:-$HOME/.cache/autocanary}/bin.
#
# Idempotent: each component has a stamp keyed by its pinned version, the Go
# version and the build recipe; a matching stamp means nothing is rebuilt.
# A cold build compiles ~3,500 packages (about 5 minutes on 2 cores, 5 GB of
# module and build cache); run it in the background:
#   nohup tests/cluster/build.sh > build.log 2>&1 &
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=versions.env
. "$HERE/versions.env"

CACHE=${AUTOCANARY_CACHE:-$HOME/.cache/autocanary}
BIN=$CACHE/bin
SHARE=$CACHE/share
SRC=$CACHE/src

# Bump when the flags or wrapper layout below change, so stale binaries rebuild.
RECIPE_REV=2

# Keep the module and build caches next to the binaries so a second run (or a
# CI cache restore of one directory) is fast, and never touch the user's GOPATH.
export GOTOOLCHAIN=local
export GOPATH=$CACHE/go
export GOMODCACHE=$CACHE/go/mod
export GOCACHE=$CACHE/go/build
export GOFLAGS=-buildvcs=false
export CGO_ENABLED=0
# Two cores: more parallel compiles only add memory pressure.
JOBS=${AUTOCANARY_BUILD_JOBS:-2}

log() { printf '[build %(%H:%M:%S)T] %s\n' -1 "$*"; }
die() { printf 'build.sh: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null || die "go not found (need go >= $GO_MIN_VERSION)"
GOVER=$(go env GOVERSION)
# sort -V puts the older version first; if that is not the minimum, go is too old.
[[ $(printf '%s\n' "go$GO_MIN_VERSION" "$GOVER" | sort -V | sed -n 1p) == "go$GO_MIN_VERSION" ]] ||
  die "$GOVER is older than go$GO_MIN_VERSION"

mkdir -p "$BIN" "$SHARE" "$SRC"

stamp_key() { printf '%s %s %s recipe=%s\n' "$1" "$2" "$GOVER" "$RECIPE_REV"; }

# up_to_date NAME VERSION BINARY... : stamp matches and every binary exists.
up_to_date() {
  local name=$1 version=$2 b
  shift 2
  [[ -f $BIN/.stamp-$name && $(<"$BIN/.stamp-$name") == "$(stamp_key "$name" "$version")" ]] || return 1
  for b in "$@"; do [[ -x $BIN/$b ]] || return 1; done
}

mark_built() { stamp_key "$1" "$2" >"$BIN/.stamp-$1"; }

# progress LABEL: `go build -v` prints one import path per compiled package;
# count them instead of flooding the log, and pass anything else (errors) through.
progress() {
  local label=$1 n=0 line
  while IFS= read -r line; do
    if [[ $line =~ ^[A-Za-z0-9._~/+-]+$ ]]; then
      n=$((n + 1))
      ((n % 100 == 0)) && log "$label: $n packages compiled"
    else
      printf '%s\n' "$line"
    fi
  done
  log "$label: $n packages compiled (rest from cache)"
}

# write_wrapper DIR MODULE REQUIRE_LINES REPLACE_LINES MAIN_PKGS...
# A tiny module whose only job is to pin a dependency graph we can build
# commands from: `go install pkg@version` refuses modules that carry replace
# directives (kubernetes, etcd), and a go.mod of our own lets us add them.
write_wrapper() {
  local dir=$1 module=$2 requires=$3 replaces=$4 pkg
  shift 4
  rm -rf "$dir"
  mkdir -p "$dir"
  {
    printf 'module %s\n\ngo %s\n\nrequire (\n%s)\n' "$module" "$GO_MIN_VERSION" "$requires"
    [[ -z $replaces ]] || printf '\nreplace (\n%s)\n' "$replaces"
  } >"$dir/go.mod"
  write_tools "$dir" "$@"
  log "resolving modules for $module"
  (cd "$dir" && go mod tidy) 2>&1 | quiet_downloads
}

# write_tools DIR PKG...: the tools.go that makes DIR's module import the commands.
write_tools() {
  local dir=$1 pkg
  shift
  {
    printf '//go:build tools\n\n// Package tools pins the commands built from this module.\npackage tools\n\nimport (\n'
    for pkg in "$@"; do printf '\t_ "%s"\n' "$pkg"; done
    printf ')\n'
  } >"$dir/tools.go"
}

# quiet_downloads: summarise go's one-line-per-module download notices.
quiet_downloads() {
  local n=0 line
  while IFS= read -r line; do
    if [[ $line == "go: downloading "* ]]; then n=$((n + 1)); else printf '%s\n' "$line"; fi
  done
  ((n == 0)) || log "downloaded $n modules"
}

# build_cmd WRAPPER_DIR NAME PKG LDFLAGS [TAGS]: build one command atomically into $BIN.
build_cmd() {
  local dir=$1 name=$2 pkg=$3 ldflags=$4 tags=${5:-} start=$SECONDS
  log "building $name ($pkg)"
  (cd "$dir" && go build -v -p "$JOBS" -trimpath ${tags:+-tags "$tags"} \
    -ldflags "$ldflags" -o "$BIN/.$name.tmp" "$pkg") 2>&1 | progress "$name"
  mv -f "$BIN/.$name.tmp" "$BIN/$name"
  log "built $name in $((SECONDS - start))s"
}

# k8s_wrapper: the wrapper module every Kubernetes command is built from, and
# K8S_LDFLAGS. The control plane and the node binaries share it, so the second
# group compiles only the packages the first did not already put in GOCACHE.
K8S_CMDS=(kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy)
k8s_wrapper() {
  local v=${K8S_VERSION#v} major minor patch staging gomod mods m replaces="" date cmd pkgs=()
  K8S_DIR=$SRC/kubernetes-$K8S_VERSION
  IFS=. read -r major minor patch <<<"$v"
  patch=${patch%%[-+]*}
  # Staging modules are published as v0.<minor>.<patch> next to v1.<minor>.<patch>.
  staging=v0.${minor}.${patch}${v#"$major.$minor.$patch"}

  for cmd in "${K8S_CMDS[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$cmd"); done
  # Reuse a wrapper that already pins every command (its tools.go lists them).
  if ! ([[ -f $K8S_DIR/go.sum ]] && for cmd in "${K8S_CMDS[@]}"; do
    grep -q "\"k8s.io/kubernetes/cmd/$cmd\"" "$K8S_DIR/tools.go" || exit 1; done); then
    # kubernetes' own go.mod lists its staging modules in a replace block pointing
    # at ./staging; the wrapper swaps those paths for the published versions.
    gomod=$(cd "$SRC" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
    [[ -f $gomod ]] || die "could not download k8s.io/kubernetes@$K8S_VERSION"
    mods=$(awk '/^replace \(/ {inblock=1; next} inblock && /^\)/ {inblock=0}
                inblock && $2 == "=>" && $3 ~ /^\.\/staging\// {print $1}' "$gomod")
    [[ -n $mods ]] || die "no staging replace block in $gomod"
    for m in $mods; do replaces+=$(printf '\t%s => %s %s' "$m" "$m" "$staging")$'\n'; done
    write_wrapper "$K8S_DIR" autocanary.test/k8s-wrapper $'\tk8s.io/kubernetes '"$K8S_VERSION"$'\n' "$replaces" "${pkgs[@]}"
  fi

  # Same version stamping as the upstream release build, so `--version` and
  # `kubectl version` report the real release; the build date is the release's
  # publication time, which keeps rebuilds reproducible.
  date=$(cd "$K8S_DIR" && go list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' k8s.io/kubernetes)
  K8S_LDFLAGS="-s -w"
  for m in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    K8S_LDFLAGS+=" -X $m.gitVersion=$K8S_VERSION -X $m.gitMajor=$major -X $m.gitMinor=$minor"
    # The module zip carries no commit id; an empty one beats the "$Format:%H$" placeholder.
    K8S_LDFLAGS+=" -X $m.gitTreeState=clean -X $m.buildDate=$date -X $m.gitCommit="
  done
}

# build_k8s STAMP CMD...: build some Kubernetes commands under their own stamp.
build_k8s() {
  local stamp=$1 cmd
  shift
  if up_to_date "$stamp" "$K8S_VERSION" "$@"; then
    log "$stamp $K8S_VERSION up to date"
    return
  fi
  k8s_wrapper
  for cmd in "$@"; do
    # Release tags: drop test-only code and the gRPC tracing dependency.
    build_cmd "$K8S_DIR" "$cmd" "k8s.io/kubernetes/cmd/$cmd" "$K8S_LDFLAGS" selinux,notest,grpcnotrace
  done
  mark_built "$stamp" "$K8S_VERSION"
}

build_kubernetes() { build_k8s kubernetes kube-apiserver kube-controller-manager kube-scheduler kubectl; }

# The real node (up.sh REAL_NODE=1): kubelet and kube-proxy, static like the rest.
build_kubernetes_node() { build_k8s kubernetes-node kubelet kube-proxy; }

# containerd, its CLI and the runc shim. Pure Go (CGO off) with the snapshotters
# that need cgo or kernel support compiled out; overlayfs and native remain.
build_containerd() {
  local cmds=(containerd ctr containerd-shim-runc-v2) key="$CONTAINERD_VERSION containerd-recipe=1"
  if up_to_date containerd "$key" "${cmds[@]}"; then
    log "containerd $CONTAINERD_VERSION up to date"
    return
  fi
  local dir=$SRC/containerd-$CONTAINERD_VERSION mod=github.com/containerd/containerd/v2 cmd ldflags
  write_wrapper "$dir" autocanary.test/containerd-wrapper $'\t'"$mod $CONTAINERD_VERSION"$'\n' "" \
    "$mod/cmd/containerd" "$mod/cmd/ctr" "$mod/cmd/containerd-shim-runc-v2"
  ldflags="-s -w -X $mod/version.Version=$CONTAINERD_VERSION -X $mod/version.Revision="
  for cmd in "${cmds[@]}"; do
    build_cmd "$dir" "$cmd" "$mod/cmd/$cmd" "$ldflags" no_btrfs,no_devmapper,no_zfs
  done
  mark_built containerd "$key"
}

build_etcd() {
  if up_to_date etcd "$ETCD_VERSION" etcd; then
    log "etcd $ETCD_VERSION up to date"
    return
  fi
  local dir=$SRC/etcd-$ETCD_VERSION
  # etcd's server module replaces its sibling modules with ../ paths; the
  # wrapper requires them at the same release instead.
  write_wrapper "$dir" autocanary.test/etcd-wrapper \
    "$(printf '\tgo.etcd.io/etcd/%s %s\n' server/v3 "$ETCD_VERSION" api/v3 "$ETCD_VERSION" \
      client/pkg/v3 "$ETCD_VERSION" client/v3 "$ETCD_VERSION" pkg/v3 "$ETCD_VERSION")"$'\n' \
    "" go.etcd.io/etcd/server/v3
  build_cmd "$dir" etcd go.etcd.io/etcd/server/v3 "-s -w"
  mark_built etcd "$ETCD_VERSION"
}

build_kwok() {
  if up_to_date kwok "$KWOK_VERSION" kwok && [[ -f $SHARE/kwok-stages.yaml ]]; then
    log "kwok $KWOK_VERSION up to date"
    return
  fi
  local dir=$SRC/kwok-$KWOK_VERSION src f
  write_wrapper "$dir" autocanary.test/kwok-wrapper $'\tsigs.k8s.io/kwok '"$KWOK_VERSION"$'\n' "" \
    sigs.k8s.io/kwok/cmd/kwok
  build_cmd "$dir" kwok sigs.k8s.io/kwok/cmd/kwok "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}"

  # The kwok binary ships no stages of its own (kwokctl normally passes them).
  # Use the default stages published in the same pinned kwok module: node
  # initialisation, lease-based heartbeat, and pod ready/complete/delete.
  src=$(cd "$dir" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
  {
    printf '# Default kwok stages from sigs.k8s.io/kwok@%s (kustomize/stage).\n' "$KWOK_VERSION"
    for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
      pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
      [[ -f $src/kustomize/stage/$f ]] || die "kwok stage $f missing in $src"
      printf -- '---\n'
      cat "$src/kustomize/stage/$f"
    done
  } >"$SHARE/.kwok-stages.yaml.tmp"
  mv -f "$SHARE/.kwok-stages.yaml.tmp" "$SHARE/kwok-stages.yaml"
  mark_built kwok "$KWOK_VERSION"
}

build_helm() {
  # The second field is helm's own recipe revision, so a change here rebuilds helm alone.
  local key="$HELM_VERSION helm-recipe=2"
  if up_to_date helm "$key" helm; then
    log "helm $HELM_VERSION up to date"
    return
  fi
  local dir=$SRC/helm-$HELM_VERSION client_go major minor ldflags
  write_wrapper "$dir" autocanary.test/helm-wrapper $'\thelm.sh/helm/v3 '"$HELM_VERSION"$'\n' "" \
    helm.sh/helm/v3/cmd/helm
  # As helm's Makefile stamps a release: its version, and the Kubernetes version
  # `helm template` and `helm lint` assume (from the client-go it is built with,
  # v0.X.Y serving Kubernetes 1.X), or charts with a kubeVersion fail to render.
  client_go=$(cd "$dir" && go list -m -f '{{.Version}}' k8s.io/client-go)
  IFS=. read -r major minor _ <<<"${client_go#v}"
  major=$((major + 1))
  ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
  ldflags+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  for m in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
    ldflags+=" -X $m.k8sVersionMajor=$major -X $m.k8sVersionMinor=$minor"
  done
  build_cmd "$dir" helm helm.sh/helm/v3/cmd/helm "$ldflags"
  mark_built helm "$key"
}

# traefik, the Gateway API implementation the e2e tests and bench/ drive real
# requests through. Its go.mod replaces and excludes modules, so (like kubernetes)
# it is built from a wrapper that repeats those directives. Three dependencies
# are not served by the proxy; the wrapper points them at the stand-ins in
# tests/cluster/traefik (see its README): the nested dynamic/ext module, the
# go-http-auth fork, and lego's DNS-provider registry (lego itself is copied
# from the module cache with providers/dns swapped for the stand-in).
build_traefik() {
  local standins=$HERE/traefik sum key
  sum=$(cd "$standins" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)
  key="$TRAEFIK_VERSION traefik-recipe=1 standins=$sum"
  if up_to_date traefik "$key" traefik; then
    log "traefik $TRAEFIK_VERSION up to date"
    return
  fi
  local mod=github.com/traefik/traefik/v3 dir=$SRC/traefik-$TRAEFIK_VERSION gomod lego_version lego_dir
  local replaces="" excludes line from to ldflags
  gomod=$(cd "$SRC" && go mod download -json "$mod@$TRAEFIK_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
  [[ -f $gomod ]] || die "could not download $mod@$TRAEFIK_VERSION"
  rm -rf "$dir"
  mkdir -p "$dir/standin"
  cp -r "$standins/dynamic-ext" "$standins/go-http-auth" "$dir/standin/"

  # lego at the version traefik requires, minus its DNS providers (and the
  # command, end-to-end tests and unit tests that import them), re-tidied so its
  # go.mod stops naming the SDKs the proxy refuses (-e: those refusals are
  # expected while tidy walks the old requirement list).
  lego_version=$(awk '$1 == "github.com/go-acme/lego/v5" {print $2; exit}' "$gomod")
  [[ -n $lego_version ]] || die "no lego/v5 requirement in $gomod"
  lego_dir=$(cd "$SRC" && go mod download -json "github.com/go-acme/lego/v5@$lego_version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -d $lego_dir ]] || die "could not download lego $lego_version"
  cp -r "$lego_dir" "$dir/standin/lego"
  chmod -R u+w "$dir/standin/lego"
  (cd "$dir/standin/lego" && rm -rf cmd e2e main.go providers/dns && mkdir -p providers/dns &&
    find . -name '*_test.go' -delete && cp "$standins/lego-dns/dns.go" providers/dns/ &&
    go mod tidy -e) 2>&1 | quiet_downloads | grep -v -e 'not available' -e '403 Forbidden' -e '^go: ' -e '^[[:space:]]' || true

  # traefik's own replace directives, one per line whether in a block or not;
  # local targets (its nested modules) and the refused fork become stand-ins.
  while read -r from to; do
    case $from in
      github.com/traefik/traefik/dynamic/ext) to=./standin/dynamic-ext ;;
      github.com/abbot/go-http-auth) to=./standin/go-http-auth ;;
      *) [[ $to != ./* ]] || die "unexpected local replace $from => $to in traefik's go.mod" ;;
    esac
    replaces+=$'\t'"$from => $to"$'\n'
  done < <(awk '/^replace \(/ {inblock=1; next} inblock && /^\)/ {inblock=0; next}
                inblock && $2 == "=>" {print $1, $3 ($4 ? " " $4 : "")}
                /^replace [^(]/ && $3 == "=>" {print $2, $4 ($5 ? " " $5 : "")}' "$gomod")
  replaces+=$'\t'"github.com/go-acme/lego/v5 => ./standin/lego"$'\n'
  excludes=$(awk '/^exclude \(/ {inblock=1; next} inblock && /^\)/ {inblock=0; next}
                  inblock && NF >= 2 {print "exclude " $1 " " $2}
                  /^exclude [^(]/ {print "exclude " $2 " " $3}' "$gomod")
  {
    printf 'module autocanary.test/traefik-wrapper\n\ngo %s\n\nrequire %s %s\n' "$GO_MIN_VERSION" "$mod" "$TRAEFIK_VERSION"
    printf '\nreplace (\n%s)\n' "$replaces"
    [[ -z $excludes ]] || printf '\n%s\n' "$excludes"
  } >"$dir/go.mod"
  printf '//go:build tools\n\n// Package tools pins the command built from this module.\npackage tools\n\nimport _ "%s/cmd/traefik"\n' "$mod" >"$dir/tools.go"
  log "resolving modules for traefik $TRAEFIK_VERSION"
  # go mod tidy also wants the test dependencies of every package, some of which
  # the proxy refuses; `go get` of the command resolves just what it builds.
  (cd "$dir" && go get "$mod/cmd/traefik@$TRAEFIK_VERSION") 2>&1 | quiet_downloads
  # The release stamping of traefik's Makefile; the date is the module's publication time.
  ldflags="-s -w -X $mod/pkg/version.Version=$TRAEFIK_VERSION -X $mod/pkg/version.Codename=autocanary-test"
  ldflags+=" -X $mod/pkg/version.BuildDate=$(cd "$dir" && go list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' "$mod")"
  build_cmd "$dir" traefik "$mod/cmd/traefik" "$ldflags"
  mark_built traefik "$key"
}

# The peers bench/peers/ runs beside autocanary on the same control plane, each
# out-of-cluster with a kubeconfig. Their modules carry no replace directives,
# so a plain wrapper does (Kruise Rollout's resolved by `go get`, below); their
# CRDs (and Kruise Rollout's webhook registration) are copied from the same
# module into share/<name>/, so the manifests always match the binary. Neither is stamped with a version by ldflags: Flagger's is
# a constant in its source, Kruise Rollout prints none.
# peer_share NAME DIR MODULE FILE...: copy files of the module into share/NAME/.
peer_share() {
  local name=$1 dir=$2 mod=$3 src f
  shift 3
  src=$(cd "$dir" && go list -m -f '{{.Dir}}' "$mod")
  rm -rf "$SHARE/.$name.tmp"
  mkdir -p "$SHARE/.$name.tmp"
  for f in "$@"; do
    [[ -f $src/$f ]] || die "$f missing in $mod ($src)"
    cp "$src/$f" "$SHARE/.$name.tmp/"
  done
  rm -rf "${SHARE:?}/$name"
  mv "$SHARE/.$name.tmp" "$SHARE/$name"
}

build_flagger() {
  local key="$FLAGGER_VERSION flagger-recipe=1" mod=github.com/fluxcd/flagger
  if up_to_date flagger "$key" flagger && [[ -f $SHARE/flagger/crd.yaml ]]; then
    log "flagger $FLAGGER_VERSION up to date"
    return
  fi
  local dir=$SRC/flagger-$FLAGGER_VERSION
  write_wrapper "$dir" autocanary.test/flagger-wrapper $'\t'"$mod $FLAGGER_VERSION"$'\n' "" "$mod/cmd/flagger"
  build_cmd "$dir" flagger "$mod/cmd/flagger" "-s -w"
  peer_share flagger "$dir" "$mod" artifacts/flagger/crd.yaml
  mark_built flagger "$key"
}

# Kruise Rollout's command is its module's root package (main.go).
build_kruise_rollout() {
  local key="$KRUISE_ROLLOUT_VERSION kruise-rollout-recipe=1" mod=github.com/openkruise/rollouts
  if up_to_date kruise-rollout "$key" kruise-rollout && [[ -d $SHARE/kruise-rollout ]]; then
    log "kruise-rollout $KRUISE_ROLLOUT_VERSION up to date"
    return
  fi
  local dir=$SRC/kruise-rollout-$KRUISE_ROLLOUT_VERSION
  # Not write_wrapper: `go mod tidy` also resolves the imports of the module's
  # tests, one of which (k8s.io/utils/ptr) its pinned k8s.io/utils lacks, and
  # would raise k8s.io/utils for the whole build; `go get` of the command
  # resolves just what it builds, at the versions its go.mod pins.
  rm -rf "$dir"
  mkdir -p "$dir"
  printf 'module autocanary.test/kruise-rollout-wrapper\n\ngo %s\n\nrequire %s %s\n' "$GO_MIN_VERSION" "$mod" \
    "$KRUISE_ROLLOUT_VERSION" >"$dir/go.mod"
  write_tools "$dir" "$mod"
  log "resolving modules for kruise-rollout $KRUISE_ROLLOUT_VERSION"
  (cd "$dir" && go get "$mod@$KRUISE_ROLLOUT_VERSION") 2>&1 | quiet_downloads
  build_cmd "$dir" kruise-rollout "$mod" "-s -w"
  peer_share kruise-rollout "$dir" "$mod" \
    config/crd/bases/rollouts.kruise.io_rollouts.yaml \
    config/crd/bases/rollouts.kruise.io_batchreleases.yaml \
    config/crd/bases/rollouts.kruise.io_rollouthistories.yaml \
    config/crd/bases/rollouts.kruise.io_trafficroutings.yaml \
    config/webhook/manifests.yaml
  mark_built kruise-rollout "$key"
}

start=$SECONDS
log "cache: $CACHE ($GOVER, -p $JOBS)"
# Smallest first: a broken toolchain or proxy shows up in minutes, not at the end.
build_kwok
build_etcd
build_kubernetes
build_helm
build_containerd
build_kubernetes_node
build_traefik
if [[ ${PEERS:-0} == 1 ]]; then
  build_flagger
  build_kruise_rollout
fi
log "done in $((SECONDS - start))s:"
"$BIN/kube-apiserver" --version
"$BIN/kubectl" version --client 2>/dev/null | sed -n 1p
"$BIN/etcd" --version | sed -n 1p
"$BIN/kwok" --version 2>/dev/null | sed -n 1p || true
"$BIN/helm" version --short
"$BIN/kubelet" --version
"$BIN/containerd" --version
"$BIN/traefik" version | sed -n 1,2p
[[ ${PEERS:-0} != 1 ]] || "$BIN/flagger" -version

#!/usr/bin/env bash
# Builds the project's container images as OCI archives without a registry or a
# container engine, and imports them into the local real node's containerd
# (tests/cluster/up.sh with REAL_NODE=1).
#
#   scripts/images.sh [build|import|all] [IMAGE...]
#
# IMAGE is any of: autocanary autocanary-shim pause test-app (default: all four).
#   autocanary       webhook, coordinator and certs tool (+ the shared libraries
#                    ldd lists and the loader); entry point the webhook, and
#                    autocanary-coordinator, the same layer with the coordinator
#   autocanary-shim  /autocanary-shim (entry point) and /autocanary-shim-tls, static
#   pause            the pod sandbox process (tests/app/pause.cc), static
#   test-app         the HTTP test app (tests/app/app.cc), static
#
# build   compiles the needed targets in $BUILD_DIR (default build-release,
#         BUILD_TYPE Release) and writes $IMAGES_DIR/<image>.tar (default
#         $BUILD_DIR/images): one OCI image layout in a tar, one gzip layer.
#         The archives are reproducible: files sorted, owner 0:0, every mtime
#         SOURCE_DATE_EPOCH (default 0), gzip without a timestamp, so the same
#         binaries give the same digests.
# import  loads the archives into the k8s.io namespace of the node's containerd
#         (AUTOCANARY_CONTAINERD_ADDRESS and AUTOCANARY_BIN, by default from
#         $AUTOCANARY_RUN/env) and adds the chart's names.
# all     (default) build, then import if a real node is up.
#
# Image names (pods use imagePullPolicy: Never or IfNotPresent):
#   autocanary:dev autocanary-coordinator:dev autocanary-shim:dev autocanary-pause:dev
#   autocanary-test-app:dev
# and for the chart (image.registry=localhost/autocanary, image.tag=dev):
#   localhost/autocanary/webhook:dev, .../coordinator:dev, .../shim:dev
# Every image runs as 65532:65532 except pause (it runs as the pod's user).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build-release}
IMAGES_DIR=${IMAGES_DIR:-$BUILD_DIR/images}
RUN=${AUTOCANARY_RUN:-/tmp/autocanary-cluster}
TAG=${IMAGE_TAG:-dev}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-0}

log() { printf '[images] %s\n' "$*"; }
die() { printf 'images.sh: %s\n' "$*" >&2; exit 1; }

action=all
case ${1:-} in build | import | all) action=$1; shift ;; esac
images=("$@")
((${#images[@]})) || images=(autocanary autocanary-shim pause test-app)
for image in "${images[@]}"; do
  case $image in autocanary | autocanary-shim | pause | test-app) ;; *) die "unknown image $image" ;; esac
done

# targets_of IMAGE: the CMake targets an image is made of.
targets_of() {
  case $1 in
    autocanary) echo autocanary-webhook autocanary-coordinator autocanary-certs ;;
    autocanary-shim) echo autocanary-shim autocanary-shim-tls ;;
    pause) echo autocanary-test-pause ;;
    test-app) echo autocanary-test-app ;;
  esac
}

# spec IMAGE STAGING: strip the binaries into STAGING (and, for the dynamic
# ones, copy every library ldd names to the path it names) and print the image
# config as JSON lines for the writer below.
spec() {
  local image=$1 staging=$2 b lib
  case $image in
    autocanary)
      mkdir -p "$staging/usr/local/bin"
      for b in webhook/autocanary-webhook coordinator/autocanary-coordinator certs/autocanary-certs; do
        strip -o "$staging/usr/local/bin/${b##*/}" "$BUILD_DIR/$b"
        ldd "$BUILD_DIR/$b" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
      done | sort -u | while read -r lib; do
        mkdir -p "$staging/${lib%/*}"
        cp -L "$lib" "$staging/$lib"
      done
      # A second name for the same layer whose entry point is the coordinator:
      # the chart's coordinator Deployment passes args only.
      echo '{"entrypoint": ["/usr/local/bin/autocanary-webhook"], "user": "65532:65532", "ports": ["8443/tcp"],
             "also": {"autocanary-coordinator": ["/usr/local/bin/autocanary-coordinator"]}}'
      ;;
    autocanary-shim)
      strip -o "$staging/autocanary-shim" "$BUILD_DIR/shim/autocanary-shim"
      strip -o "$staging/autocanary-shim-tls" "$BUILD_DIR/shim/autocanary-shim-tls"
      echo '{"entrypoint": ["/autocanary-shim"], "user": "65532:65532", "ports": ["17021/tcp"]}'
      ;;
    pause)
      strip -o "$staging/pause" "$BUILD_DIR/tests/app/autocanary-test-pause"
      echo '{"entrypoint": ["/pause"]}'
      ;;
    test-app)
      strip -o "$staging/app" "$BUILD_DIR/tests/app/autocanary-test-app"
      echo '{"entrypoint": ["/app"], "user": "65532:65532", "ports": ["8080/tcp"]}'
      ;;
  esac
}

# write_oci STAGING CONFIG_JSON NAME OUT: the OCI layout, written directly.
write_oci() {
  python3 - "$@" <<'PY'
import gzip, hashlib, io, json, os, sys, tarfile

staging, config_json, name, out = sys.argv[1:5]
epoch = int(os.environ["SOURCE_DATE_EPOCH"])
spec = json.loads(config_json)

def entry(path, kind, mode, size=0):
    info = tarfile.TarInfo(path)
    info.type, info.mode, info.size, info.mtime = kind, mode, size, epoch
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info

# The layer: every directory and file under staging, sorted, owner 0:0.
raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as layer:
    paths = []
    for top, dirs, files in os.walk(staging):
        for d in dirs:
            paths.append(os.path.join(top, d))
        for f in files:
            paths.append(os.path.join(top, f))
    for path in sorted(paths, key=lambda p: os.path.relpath(p, staging)):
        rel = os.path.relpath(path, staging)
        if os.path.isdir(path):
            layer.addfile(entry(rel + "/", tarfile.DIRTYPE, 0o755))
        else:
            mode = 0o755 if os.access(path, os.X_OK) else 0o644
            with open(path, "rb") as f:
                layer.addfile(entry(rel, tarfile.REGTYPE, mode, os.path.getsize(path)), f)
diff_id = "sha256:" + hashlib.sha256(raw.getvalue()).hexdigest()
compressed = io.BytesIO()
with gzip.GzipFile(fileobj=compressed, mode="wb", mtime=0, compresslevel=6) as g:
    g.write(raw.getvalue())
blobs = {}

def blob(data, media_type):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    blobs[digest] = data
    return {"mediaType": media_type, "digest": digest, "size": len(data)}

def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()

layer_desc = blob(compressed.getvalue(), "application/vnd.oci.image.layer.v1.tar+gzip")
created = "%04d-%02d-%02dT%02d:%02d:%02dZ" % __import__("time").gmtime(epoch)[:6]

def manifest_for(image_name, entrypoint):
    config = {"architecture": "amd64", "os": "linux", "created": created,
              "config": {"Entrypoint": entrypoint,
                         "Env": ["PATH=/usr/local/bin:/usr/bin:/bin"], "WorkingDir": "/"},
              "rootfs": {"type": "layers", "diff_ids": [diff_id]},
              "history": [{"created": created, "created_by": "scripts/images.sh"}]}
    if spec.get("user"):
        config["config"]["User"] = spec["user"]
    if spec.get("ports"):
        config["config"]["ExposedPorts"] = {p: {} for p in spec["ports"]}
    config_desc = blob(canonical(config), "application/vnd.oci.image.config.v1+json")
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": config_desc, "layers": [layer_desc]}
    desc = blob(canonical(manifest), "application/vnd.oci.image.manifest.v1+json")
    desc["platform"] = {"architecture": "amd64", "os": "linux"}
    # containerd's import names each image after io.containerd.image.name.
    desc["annotations"] = {"io.containerd.image.name": image_name,
                           "org.opencontainers.image.ref.name": image_name.rsplit(":", 1)[1]}
    return desc

repository, tag = name.rsplit(":", 1)
manifests = [manifest_for(name, spec["entrypoint"])]
for other, entrypoint in sorted(spec.get("also", {}).items()):
    manifests.append(manifest_for(repository.rsplit("/", 1)[0] + "/" + other + ":" + tag, entrypoint))
manifest_desc = manifests[0]
index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
         "manifests": manifests}

files = {"oci-layout": canonical({"imageLayoutVersion": "1.0.0"}), "index.json": canonical(index)}
for digest, data in blobs.items():
    files["blobs/sha256/" + digest.split(":")[1]] = data
tmp = out + ".tmp"
with tarfile.open(tmp, mode="w", format=tarfile.PAX_FORMAT) as archive:
    for d in ("blobs/", "blobs/sha256/"):
        archive.addfile(entry(d, tarfile.DIRTYPE, 0o755))
    for path in sorted(files):
        archive.addfile(entry(path, tarfile.REGTYPE, 0o644, len(files[path])), io.BytesIO(files[path]))
os.replace(tmp, out)
print(manifest_desc["digest"])
PY
}

# image_name IMAGE: the full name containerd and the kubelet use.
image_name() {
  case $1 in
    pause) echo "docker.io/library/autocanary-pause:$TAG" ;;
    test-app) echo "docker.io/library/autocanary-test-app:$TAG" ;;
    *) echo "docker.io/library/$1:$TAG" ;;
  esac
}

build() {
  local targets=() image staging config digest
  for image in "${images[@]}"; do read -ra t <<<"$(targets_of "$image")"; targets+=("${t[@]}"); done
  if [[ ! -f $BUILD_DIR/CMakeCache.txt ]]; then
    cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" >/dev/null
  fi
  log "building ${targets[*]} in $BUILD_DIR"
  cmake --build "$BUILD_DIR" --target "${targets[@]}" >/dev/null
  mkdir -p "$IMAGES_DIR"
  for image in "${images[@]}"; do
    staging=$(mktemp -d)
    config=$(spec "$image" "$staging")
    digest=$(write_oci "$staging" "$config" "$(image_name "$image")" "$IMAGES_DIR/$image.tar")
    rm -rf "$staging"
    log "$(image_name "$image") $digest $(du -h "$IMAGES_DIR/$image.tar" | cut -f1) -> $IMAGES_DIR/$image.tar"
  done
}

import() {
  if [[ -z ${AUTOCANARY_CONTAINERD_ADDRESS:-} ]]; then
    [[ -f $RUN/env ]] || die "$RUN/env missing: start the cluster with REAL_NODE=1 tests/cluster/up.sh"
    # shellcheck disable=SC1091
    . "$RUN/env"
  fi
  [[ -n ${AUTOCANARY_CONTAINERD_ADDRESS:-} ]] || die "the cluster in $RUN has no real node (REAL_NODE=1)"
  local ctr=("$AUTOCANARY_BIN/ctr" --address "$AUTOCANARY_CONTAINERD_ADDRESS" -n k8s.io) image alias
  for image in "${images[@]}"; do
    [[ -f $IMAGES_DIR/$image.tar ]] || die "$IMAGES_DIR/$image.tar missing: run $0 build $image"
    # ctr warns on every call that cgroup v1 is deprecated; keep real errors.
    "${ctr[@]}" images import --platform linux/amd64 "$IMAGES_DIR/$image.tar" 2>&1 >/dev/null |
      { grep -v 'DEPRECATION: The support for cgroup v1' >&2 || true; }
    # The chart names its images <registry>/<component>:<tag>.
    case $image in
      autocanary) alias=(webhook=autocanary coordinator=autocanary-coordinator) ;;
      autocanary-shim) alias=(shim=autocanary-shim) ;;
      *) alias=() ;;
    esac
    for a in "${alias[@]}"; do
      "${ctr[@]}" images tag --force "docker.io/library/${a#*=}:$TAG" "localhost/autocanary/${a%%=*}:$TAG" 2>&1 >/dev/null |
        { grep -v 'DEPRECATION: The support for cgroup v1' >&2 || true; }
    done
    log "imported $(image_name "$image")$(for a in "${alias[@]}"; do printf ' localhost/autocanary/%s:%s' "${a%%=*}" "$TAG"; done)"
  done
}

case $action in
  build) build ;;
  import) import ;;
  all)
    build
    if [[ -f $RUN/env ]] && grep -q AUTOCANARY_CONTAINERD_ADDRESS "$RUN/env"; then import; fi
    ;;
esac

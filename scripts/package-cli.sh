#!/usr/bin/env bash
# Packages kubectl-autocanary for a krew-style install: dist/kubectl-autocanary_<version>_linux_<arch>.tar.gz
# (the binary from the build, stripped, and the README) and dist/autocanary.yaml,
# the krew manifest with that archive's sha256.
#
#   scripts/package-cli.sh [URI]   URI: where the archive will be served (default: the file itself)
#
# Knobs: BUILD_DIR (default build/), DIST_DIR (default dist/).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build}
dist=${DIST_DIR:-$root/dist}
binary=$build_dir/cli/kubectl-autocanary
[[ -x $binary ]] || { echo "package-cli: $binary is missing (scripts/build.sh)" >&2; exit 1; }
version=$(sed -n 's/^project(autocanary VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
case $(uname -m) in
  x86_64) arch=amd64 ;;
  aarch64) arch=arm64 ;;
  *) arch=$(uname -m) ;;
esac
archive=kubectl-autocanary_${version}_linux_${arch}.tar.gz
staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
install -m 0755 "$binary" "$staging/kubectl-autocanary"
strip "$staging/kubectl-autocanary"
cat >"$staging/README.md" <<TEXT
kubectl-autocanary $version: \`kubectl autocanary help\`. See https://github.com/autocanary/autocanary.
TEXT
mkdir -p "$dist"
# Reproducible: fixed owner, order and times.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$staging" -cf - kubectl-autocanary README.md |
  gzip -n >"$dist/$archive"
sha=$(sha256sum "$dist/$archive" | cut -d' ' -f1)
uri=${1:-file://$dist/$archive}
sed -e "s|@VERSION@|$version|g" -e "s|@ARCH@|$arch|g" -e "s|@URI@|$uri|g" -e "s|@SHA256@|$sha|g" \
  "$root/cli/krew/autocanary.yaml.in" >"$dist/autocanary.yaml"
echo "package-cli: $dist/$archive ($sha) and $dist/autocanary.yaml"

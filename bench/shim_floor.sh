#!/usr/bin/env bash
# What a process costs before it does anything: peak RSS (VmHWM) of programs that
# only sleep, linked as the shim could be. The shim's own figure (bench/shim.sh)
# is read against these. Builds throw-away programs in a temporary directory.
#
#   bench/shim_floor.sh
set -euo pipefail

work=$(mktemp -d)
pid=""
cleanup() {
  [[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/sleep.cc" <<'CC'
#include <unistd.h>
#include <string>
int main(int argc, char**) { std::string text(static_cast<std::size_t>(argc), 'x'); pause(); return static_cast<int>(text.size()); }
CC
cat >"$work/openssl.cc" <<'CC'
#include <openssl/ssl.h>
#include <unistd.h>
int main(int argc, char**) { if (argc > 9) SSL_CTX_free(SSL_CTX_new(TLS_client_method())); pause(); }
CC
cat >"$work/httplib.cc" <<'CC'
#include <httplib.h>
#include <unistd.h>
int main() { httplib::Server server; pause(); return server.is_running() ? 1 : 0; }
CC

httplib_flags=$(pkg-config --cflags --libs cpp-httplib)
build() {  # name, then compiler arguments
  local name=$1
  shift
  g++ -O2 "$@" -o "$work/$name"
}
build cxx-static "$work/sleep.cc" -static
build cxx-static-libstdcxx "$work/sleep.cc" -static-libstdc++ -static-libgcc
build cxx-dynamic "$work/sleep.cc"
build openssl-linked "$work/openssl.cc" -static-libstdc++ -static-libgcc -lssl -lcrypto
# shellcheck disable=SC2086
build httplib-linked "$work/httplib.cc" $httplib_flags -lssl -lcrypto

printf "%-22s %10s %10s %10s\n" program VmHWM_KiB RssAnon RssFile
for name in cxx-static cxx-static-libstdcxx cxx-dynamic openssl-linked httplib-linked; do
  "$work/$name" &
  pid=$!
  sleep 0.3
  read -r hwm anon file < <(awk '/^VmHWM/ {h=$2} /^RssAnon/ {a=$2} /^RssFile/ {f=$2} END {print h, a, f}' \
    "/proc/$pid/status")
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  pid=""
  printf "%-22s %10s %10s %10s\n" "$name" "$hwm" "$anon" "$file"
done

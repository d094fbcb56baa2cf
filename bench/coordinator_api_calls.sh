#!/usr/bin/env bash
# API-call benchmark: the requests the coordinator sends the apiserver, counted
# by the apiserver itself (its audit log, for the coordinator's ServiceAccount,
# with each request's user agent), while DEPLOYMENTS managed Deployments are
# created and then sit idle for IDLE seconds. Each build in BUILDS
# (label=build-dir, run one after the other in the same cluster) gets its own
# Deployments, in namespaces of its own; the idle figure is per managed
# Deployment of the whole cluster. Starts and stops its own local control plane.
#
#   bench/coordinator_api_calls.sh                    # DEPLOYMENTS=1000 IDLE=300 BUILDS=after=build/
#   BUILDS="before=/tmp/ac-before after=build" bench/coordinator_api_calls.sh
#
# Knobs: DEPLOYMENTS, NAMESPACES, IDLE (seconds; the coordinator resyncs every
# 300 s, so a 300 s window holds one), TIMEOUT, BUILDS, AUTOCANARY_RUN (default
# /tmp/autocanary-bench-api), BUILD_DIR, SKIP_BUILD=1.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export AUTOCANARY_RUN=${AUTOCANARY_RUN:-/tmp/autocanary-bench-api}

# The audit log: every request of the coordinator's ServiceAccount, once (at
# its end), with no bodies.
audit=/tmp/autocanary-bench-api-audit
rm -rf "$audit"
mkdir -p "$audit"
cat >"$audit/policy.yaml" <<'YAML'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived, ResponseStarted]
rules:
  - level: Metadata
    users: ["system:serviceaccount:autocanary-system:autocanary-coordinator"]
  - level: None
YAML
export AUTOCANARY_APISERVER_ARGS="--audit-policy-file=$audit/policy.yaml --audit-log-path=$audit/audit.log --audit-log-format=json --audit-log-maxsize=2000 --audit-log-maxbackup=1"

started=$SECONDS
bench_name=api
# shellcheck source=bench/bench_stack.sh
. "$root/bench/bench_stack.sh"

read -r -a builds <<<"${BUILDS:-after=$BUILD_DIR}"
python3 "$root/bench/coordinator_api_calls.py" --run-dir "$AUTOCANARY_RUN" --policy "$work/policy.yaml" \
  --audit-log "$audit/audit.log" --deployments "${DEPLOYMENTS:-1000}" --namespaces "${NAMESPACES:-10}" \
  --idle "${IDLE:-300}" --timeout "${TIMEOUT:-600}" "${builds[@]}"
echo "$((SECONDS - started)) s from cluster start to here"

"""The coordinator's requests to the apiserver, as the apiserver counts them.
Driven by bench/coordinator_api_calls.sh, which starts the cluster with an audit
log of the coordinator's ServiceAccount; see docs/benchmarks.md.

For each build given (LABEL=BUILD_DIR), one after the other in the same cluster:

  start    a coordinator of that build (it leads at once: the one before stopped);
           its requests until it is quiet are its start-up (a pass per managed
           Deployment already there);
  create   DEPLOYMENTS more managed Deployments (replicas 0), one `kubectl apply`
           per namespace, in namespaces of this build's; counted until the
           deployment controller has observed them all and the coordinator's
           reconcile counter stood still for 10 s;
  idle     IDLE seconds with nothing happening: requests per managed Deployment
           (every managed Deployment of the cluster), scaled to 5 minutes.

Requests are audit events at ResponseComplete, by their requestReceivedTimestamp,
grouped by verb and resource; Lease requests (leader election, independent of
the Deployments) are shown apart. A watch counts once, when it ends.
"""

import json
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import coordinator_memory as memory  # noqa: E402  (same directory)
from kubeapi import Api, wait_for  # noqa: E402


def parse_time(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class AuditLog:
    """Reads the audit log as it grows."""

    def __init__(self, path):
        self.path = Path(path)
        self.events = []  # (received, verb, resource, user agent)
        self._offset = 0

    def read(self):
        if not self.path.exists():
            return
        with open(self.path, "rb") as log:
            log.seek(self._offset)
            data = log.read()
        complete = data.rfind(b"\n") + 1
        self._offset += complete
        for line in data[:complete].splitlines():
            if not line.strip():
                continue
            event = json.loads(line)
            if event.get("stage") != "ResponseComplete":
                continue
            ref = event.get("objectRef", {})
            resource = ref.get("resource", event.get("requestURI", "?").split("?")[0])
            if ref.get("subresource"):
                resource += "/" + ref["subresource"]
            self.events.append((parse_time(event["requestReceivedTimestamp"]), event["verb"], resource,
                                event.get("userAgent", "")))

    def between(self, start, end):
        self.read()
        return [e for e in self.events if start <= e[0] < end]


def summary(events):
    counts = Counter((verb, resource) for _, verb, resource, _ in events)
    leases = sum(n for (verb, resource), n in counts.items() if resource == "leases")
    return counts, leases


def show(label, events, per=None, scale=1.0):
    counts, leases = summary(events)
    total = sum(counts.values())
    agents = sorted({agent.split(" ")[0] for *_, agent in events})
    print(f"  {label}: {total} requests ({leases} on the Lease), user agent {', '.join(agents) or '-'}")
    for (verb, resource), n in sorted(counts.items(), key=lambda item: -item[1]):
        extra = f"  {n * scale / per:.3f} per Deployment per 5 min" if per and resource != "leases" else ""
        print(f"    {verb:8s} {resource:28s} {n:6d}{extra}")
    return total - leases


def main():
    parser = memory.cluster_arguments(idle=300, timeout=600)
    parser.add_argument("--audit-log", required=True)
    parser.add_argument("builds", nargs="+", help="LABEL=BUILD_DIR, measured in this order")
    args = parser.parse_args()

    kubeconfig = str(Path(args.run_dir) / "kubeconfig")
    api = Api(kubeconfig)
    audit = AuditLog(args.audit_log)
    per_namespace = args.deployments // args.namespaces
    results = []
    managed_total = 0
    for build in args.builds:
        label, _, build_dir = build.partition("=")
        coordinator = memory.Coordinator(args.run_dir, f"api-{label}", args.policy, ["--log-level", "warn"])
        coordinator.env["BUILD_DIR"] = build_dir
        namespaces = [f"bench-api-{label}-{i + 1:02d}" for i in range(args.namespaces)]
        try:
            t_start = time.time()
            coordinator.start()
            wait_for(lambda: api.get("/apis/coordination.k8s.io/v1/namespaces/autocanary-system/leases/"
                                     "autocanary-coordinator", missing_ok=True) and
                     api.get("/apis/coordination.k8s.io/v1/namespaces/autocanary-system/leases/"
                             "autocanary-coordinator")["spec"].get("holderIdentity") == f"api-{label}",
                     f"api-{label} to lead", timeout=60)
            coordinator.wait_quiet(managed_total, 10, args.timeout)
            t_create = time.time()
            for ns in namespaces:
                api.create("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {
                    "name": ns, "labels": {"autocanary.io/enabled": "true"}}})
            for ns in namespaces:
                documents = [json.dumps(memory.manifest(f"app-{j + 1:04d}", ns, memory.V1))
                             for j in range(per_namespace)]
                memory.kubectl(kubeconfig, "apply", "-f", "-", stdin="\n---\n".join(documents))
            managed_total += per_namespace * len(namespaces)

            wait_for(lambda: memory.managed_and_observed(api, managed_total),
                     f"{managed_total} managed Deployments observed", timeout=args.timeout, interval=1)
            coordinator.wait_quiet(0, 10, args.timeout)
            t_idle = time.time()
            time.sleep(args.idle)
            t_end = time.time()
            time.sleep(2)  # the last requests reach the log
        finally:
            coordinator.stop()
        results.append((label, build_dir, managed_total, audit.between(t_start, t_create),
                        audit.between(t_create, t_idle), audit.between(t_idle, t_end), t_idle - t_create))

    print()
    print("the coordinator's requests, from the apiserver's audit log")
    rows = []
    for label, build_dir, managed, start, create, idle, create_seconds in results:
        print(f"{label} ({build_dir}), {managed} managed Deployments at the end")
        show(f"start-up ({managed - per_namespace * args.namespaces} managed already)", start)
        created = show(f"creating {per_namespace * args.namespaces} ({create_seconds:.0f} s)", create)
        idle_requests = show(f"idle {args.idle:.0f} s", idle, per=managed, scale=300 / args.idle)
        rows.append((label, created / (per_namespace * args.namespaces), idle_requests * 300 / args.idle / managed))
    print()
    print(f"{'build':10s} {'while creating, per Deployment':>32s} {'idle, per Deployment per 5 min':>32s}"
          "  (Lease requests left out)")
    for label, created, idle in rows:
        print(f"{label:10s} {created:32.2f} {idle:32.3f}")


if __name__ == "__main__":
    main()

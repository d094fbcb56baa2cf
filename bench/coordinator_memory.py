"""Memory of the coordinator while it manages many Deployments. Driven by
bench/coordinator_memory.sh, which starts the cluster and the webhook; see
docs/benchmarks.md.

Phases (the coordinator's VmRSS and VmHWM from /proc/PID/status):

  empty    the coordinator started against a cluster with no managed Deployment;
  create   DEPLOYMENTS Deployments (replicas 0) applied with one `kubectl apply -f`
           per namespace, in NAMESPACES opted-in namespaces; the coordinator
           learns them through its watch; sampled until its reconciles stop;
  idle     IDLE seconds with nothing happening;
  burst    BURST of them get a new image at once: each becomes a canary (canary
           Deployment, one canary pod, Canary resource) and walks to its pause step;
  restart  the coordinator restarted: it learns all of it through one list per
           informer, then reconciles every managed Deployment; sampled until quiet
           and RESTART_IDLE seconds more.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kubeapi import Api, metrics, wait_for  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
V1 = "registry.example.com/shop/app:1.0.0"
V2 = "registry.example.com/shop/app:2.0.0"
MIB = 1024 * 1024


def manifest(name, namespace, image):
    """A Deployment of a typical size: one container with resources, probes, env."""
    labels = {"app": name, "team": "shop", "tier": "backend"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{
                    "name": "app", "image": image,
                    "ports": [{"name": "http", "containerPort": 8080}],
                    "env": [{"name": "LOG_LEVEL", "value": "info"},
                            {"name": "SERVICE_NAME", "value": name},
                            {"name": "MAX_CONNECTIONS", "value": "100"}],
                    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                                  "limits": {"memory": "256Mi"}},
                    "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}, "periodSeconds": 5},
                    "livenessProbe": {"httpGet": {"path": "/health", "port": "http"}, "periodSeconds": 10},
                }]},
            },
        },
    }


class Sampler:
    """VmRSS and VmHWM of one process every `interval` seconds, on a thread."""

    def __init__(self, interval):
        self.interval = interval
        self.samples = []  # (monotonic, phase, rss_kib, hwm_kib)
        self.pid = None
        self.phase = "-"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def read(self):
        pid = self.pid
        if pid is None:
            return None
        values = {}
        try:
            with open(f"/proc/{pid}/status") as status:
                for line in status:
                    key, _, rest = line.partition(":")
                    if key in ("VmRSS", "VmHWM"):
                        values[key] = int(rest.split()[0])
        except (FileNotFoundError, ProcessLookupError, ValueError):
            return None
        return values if len(values) == 2 else None

    def _run(self):
        while not self._stop.wait(self.interval):
            values = self.read()
            if values:
                self.samples.append((time.monotonic(), self.phase, values["VmRSS"], values["VmHWM"]))

    def of(self, phase):
        return [s for s in self.samples if s[1] == phase]

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=5)


class Coordinator:
    def __init__(self, run_dir, name, policy, flags):
        self.run_dir = Path(run_dir)
        self.name = name
        self.env = {**os.environ, "AUTOCANARY_RUN": str(run_dir), "POLICY_FILE": policy}
        if os.environ.get("COORDINATOR_BUILD_DIR"):
            self.env["BUILD_DIR"] = os.environ["COORDINATOR_BUILD_DIR"]
        self.flags = flags

    def start(self):
        subprocess.run([str(ROOT / "scripts/local-coordinator.sh"), "start", self.name, *self.flags],
                       env=self.env, check=True, stdout=subprocess.DEVNULL, timeout=60)

    def stop(self):
        subprocess.run([str(ROOT / "scripts/local-coordinator.sh"), "stop", self.name],
                       env=self.env, check=True, timeout=60)

    @property
    def pid(self):
        return int((self.run_dir / "pids" / f"80-coordinator-{self.name}.pid").read_text().split()[0])

    @property
    def port(self):
        return int((self.run_dir / "coordinator" / f"{self.name}.port").read_text().strip())

    def reconciles(self):
        return sum(v for k, v in metrics(self.port).items() if k.startswith("autocanary_coordinator_reconciles_total"))

    def wait_quiet(self, at_least, quiet_for, timeout):
        """Until the reconcile counter is >= at_least and has not moved for quiet_for seconds."""
        deadline = time.monotonic() + timeout
        last, since = -1.0, time.monotonic()
        while time.monotonic() < deadline:
            now = self.reconciles()
            if now != last:
                last, since = now, time.monotonic()
            elif now >= at_least and time.monotonic() - since >= quiet_for:
                return now
            time.sleep(0.25)
        raise TimeoutError(f"the coordinator did not settle within {timeout}s ({last:.0f} reconciles, "
                           f"waiting for {at_least})")


def managed_and_observed(api, count):
    """Whether `count` Deployments are managed and the deployment controller has
    observed each one's latest generation."""
    listed = api.get("/apis/apps/v1/deployments?labelSelector=autocanary.io%2Fmanaged%3Dtrue")["items"]
    done = [d for d in listed if d.get("status", {}).get("observedGeneration", 0) >= d["metadata"]["generation"]]
    return len(listed) >= count and len(done) >= count


def kubectl(kubeconfig, *args, stdin=None, timeout=300):
    return subprocess.run(["kubectl", "--kubeconfig", kubeconfig, *args], input=stdin, text=True,
                          capture_output=True, check=True, timeout=timeout).stdout


def object_sizes(api, path, dump=None):
    """What the cached objects weigh as JSON, and which parts weigh most."""
    raw = api.raw_get(path)
    if dump:
        Path(dump).write_bytes(raw)
    items = json.loads(raw)["items"]
    compact = lambda value: len(json.dumps(value, separators=(",", ":")))
    parts = {"managedFields": 0, "last-applied annotation": 0, "pending-template annotation": 0, "status": 0,
             "spec": 0}
    total = 0
    for item in items:
        total += compact(item)
        metadata = item["metadata"]
        parts["managedFields"] += compact(metadata.get("managedFields", []))
        annotations = metadata.get("annotations", {})
        parts["last-applied annotation"] += len(annotations.get("kubectl.kubernetes.io/last-applied-configuration", ""))
        parts["pending-template annotation"] += len(annotations.get("autocanary.io/pending-template", ""))
        parts["status"] += compact(item.get("status", {}))
        parts["spec"] += compact(item.get("spec", {}))
    return len(items), len(raw), total, parts


def cluster_arguments(idle, timeout):
    """The arguments the coordinator benchmarks on many Deployments share."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--run-dir", required=True)
    parser.add_argument("--policy", required=True)
    parser.add_argument("--deployments", type=int, default=1000)
    parser.add_argument("--namespaces", type=int, default=10)
    parser.add_argument("--idle", type=float, default=idle, help="seconds with nothing happening")
    parser.add_argument("--timeout", type=float, default=timeout, help="seconds any one wait may take")
    return parser


def main():
    parser = cluster_arguments(idle=30, timeout=300)
    parser.add_argument("--burst", type=int, default=50)
    parser.add_argument("--restart-idle", type=float, default=15)
    parser.add_argument("--interval", type=float, default=0.25)
    parser.add_argument("--json", help="write the samples here too")
    parser.add_argument("--dump-list", help="write the list of managed Deployments (after the burst) here")
    args = parser.parse_args()

    kubeconfig = str(Path(args.run_dir) / "kubeconfig")
    api = Api(kubeconfig)
    coordinator = Coordinator(args.run_dir, "mem", args.policy,
                              ["--lease-duration", "4s", "--renew-deadline", "3s", "--retry-period", "500ms",
                               "--log-level", "warn"])
    sampler = Sampler(args.interval)
    timings = {}
    per_namespace = args.deployments // args.namespaces
    namespaces = [f"bench-mem-{i + 1:02d}" for i in range(args.namespaces)]
    names = [(ns, f"app-{j + 1:04d}") for ns in namespaces for j in range(per_namespace)]

    def timed(phase):
        sampler.phase = phase
        timings[phase] = time.monotonic()

    try:
        # --- empty: the coordinator alone.
        coordinator.start()
        sampler.pid = coordinator.pid
        timed("empty")
        coordinator.wait_quiet(0, 2, 30)
        time.sleep(3)

        # --- create: one `kubectl apply -f` per namespace, through the webhook.
        timed("create")
        for ns in namespaces:
            api.create("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                              "metadata": {"name": ns, "labels": {"autocanary.io/enabled": "true"}}})
        for ns in namespaces:
            documents = [json.dumps(manifest(name, ns, V1)) for n, name in names if n == ns]
            kubectl(kubeconfig, "apply", "-f", "-", stdin="\n---\n".join(documents))
        created = time.monotonic()

        wait_for(lambda: managed_and_observed(api, len(names)),
                 f"{len(names)} managed Deployments seen by the deployment controller", timeout=args.timeout,
                 interval=1)
        coordinator.wait_quiet(len(names), 5, args.timeout)
        timings["create_apply_s"] = created - timings["create"]
        timings["create_total_s"] = time.monotonic() - timings["create"]

        # --- idle
        timed("idle")
        time.sleep(args.idle)

        # --- burst: BURST Deployments get a new image at once.
        timed("burst")
        chosen = names[:: max(1, len(names) // args.burst)][: args.burst]
        for ns, name in chosen:
            patch = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": V2}]}}}}
            api.patch(f"/apis/apps/v1/namespaces/{ns}/deployments/{name}", patch, kind="strategic")

        def all_paused():
            records = api.get("/apis/autocanary.io/v1alpha1/canaries")["items"]
            paused = [r for r in records if r.get("status", {}).get("phase") == "Progressing"
                      and r["status"].get("stepDescription", "").startswith("pause")]
            pods = api.get("/api/v1/pods?labelSelector=autocanary.io%2Ftrack%3Dcanary")["items"]
            ready = [p for p in pods if any(c["type"] == "Ready" and c["status"] == "True"
                                            for c in p.get("status", {}).get("conditions", []))]
            return len(paused) >= len(chosen) and len(ready) >= len(chosen)

        wait_for(all_paused, f"{len(chosen)} canaries in their pause step with a Ready pod", timeout=args.timeout,
                 interval=1)
        coordinator.wait_quiet(0, 5, args.timeout)
        timings["burst_s"] = time.monotonic() - timings["burst"]
        sizes_managed = object_sizes(api, "/apis/apps/v1/deployments?labelSelector=autocanary.io%2Fmanaged%3Dtrue",
                                     args.dump_list)
        sizes_canary = object_sizes(api, "/apis/apps/v1/deployments?labelSelector=autocanary.io%2Ftrack%3Dcanary")
        sizes_pods = object_sizes(api, "/api/v1/pods?labelSelector=autocanary.io%2Ftrack%3Dcanary")
        sizes_records = object_sizes(api, "/apis/autocanary.io/v1alpha1/canaries")

        # --- restart: everything learnt from lists at once.
        sampler.pid = None
        coordinator.stop()
        coordinator.start()
        sampler.pid = coordinator.pid
        timed("restart")
        coordinator.wait_quiet(len(names), 5, args.timeout)
        timings["restart_sync_s"] = time.monotonic() - timings["restart"]
        time.sleep(args.restart_idle)
        final = sampler.read()
    finally:
        sampler.stop()
        try:
            coordinator.stop()
        except subprocess.SubprocessError as error:
            print(f"stopping the coordinator: {error}", file=sys.stderr)

    if args.json:
        Path(args.json).write_text(json.dumps({"samples": sampler.samples, "timings": timings}, indent=1))

    mib = lambda kib: kib / 1024
    print()
    print(f"coordinator memory, {len(names)} managed Deployments (replicas 0) in {len(namespaces)} namespaces, "
          f"burst of {len(chosen)} canaries; MiB")
    print(f"{'phase':10s} {'samples':>7s} {'RSS min':>8s} {'RSS med':>8s} {'RSS max':>8s} {'RSS end':>8s} "
          f"{'HWM end':>8s}  what")
    what = {
        "empty": "no managed Deployment",
        "create": f"{len(names)} created, learnt through the watch ({timings['create_total_s']:.0f} s)",
        "idle": f"{args.idle:.0f} s with nothing happening",
        "burst": f"{len(chosen)} new images -> canaries in their pause step ({timings['burst_s']:.0f} s)",
        "restart": f"restarted: lists, then {len(names)} reconciles, then {args.restart_idle:.0f} s idle",
    }
    for phase in ("empty", "create", "idle", "burst", "restart"):
        rows = sampler.of(phase)
        if not rows:
            continue
        rss = [r[2] for r in rows]
        print(f"{phase:10s} {len(rows):7d} {mib(min(rss)):8.1f} {mib(statistics.median(rss)):8.1f} "
              f"{mib(max(rss)):8.1f} {mib(rss[-1]):8.1f} {mib(rows[-1][3]):8.1f}  {what[phase]}")
    if final:
        print(f"at the end: VmRSS {mib(final['VmRSS']):.1f} MiB, VmHWM {mib(final['VmHWM']):.1f} MiB "
              "(the HWM of the restarted process)")
    print()
    print("what the coordinator caches, as the apiserver sends it (compact JSON)")
    print(f"{'informer':28s} {'objects':>7s} {'list bytes':>11s} {'per object':>10s} {'managedFields':>13s} "
          f"{'last-applied':>12s} {'pending-tmpl':>12s} {'status':>8s}")
    for label, (count, raw, total, parts) in (("managed Deployments", sizes_managed),
                                              ("canary Deployments", sizes_canary),
                                              ("canary pods", sizes_pods), ("Canary resources", sizes_records)):
        share = lambda key: f"{100 * parts[key] / max(total, 1):.0f}%"
        print(f"{label:28s} {count:7d} {raw:11d} {total / max(count, 1):10.0f} {share('managedFields'):>13s} "
              f"{share('last-applied annotation'):>12s} {share('pending-template annotation'):>12s} "
              f"{share('status'):>8s}")


if __name__ == "__main__":
    main()

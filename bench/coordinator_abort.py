"""Abort latency of the coordinator: from a canary pod starting to crash-loop to
the canary Deployment being at weight 0 in the apiserver. Driven by
bench/coordinator_abort.sh, which starts the cluster, the webhook and the
coordinator; see docs/benchmarks.md.

Every rollout gets its own opted-in namespace: Deployment v1 (4 replicas), then
v2, until the canary has Ready pods and the Canary is in its pause step. Then,
one rollout at a time:

  T0  just before the PATCH of one canary pod's status subresource (restartCount
      5, waiting reason CrashLoopBackOff), sent over an open HTTPS connection;
  T1  the arrival, on a watch of the canary Deployment opened before T0, of the
      first version with spec.replicas == 0 and annotation autocanary.io/weight "0";
      with --router smi, on a watch of the SMI TrafficSplit, of the first
      version routing 0 to web-canary (the Deployment gets a Service and the
      annotation autocanary.io/traffic-backend: smi).

A second watch, on the pod, shows when the pod's change reached a watcher: the
part of T1 - T0 before the coordinator could have seen it. The coordinator's
histogram autocanary_coordinator_abort_to_zero_weight_seconds (its pass start to
its patch returning) is read before and after each run; its sum grows by
exactly that run's value.

With --stalled N, N more rollouts (namespaces PREFIX-stalled-1 … N) sit in an
analysis step whose Prometheus query (the policy's `stalled-query`, chosen by
their autocanary.io/steps annotation) is answered only --stall-seconds after it
arrives, by a stand-in on --stall-port; it keeps them measuring throughout.
Each run reports how many of their queries were outstanding at T0.
"""

import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kubeapi import Api, deployment, histogram, metrics, percentile, wait_for  # noqa: E402

V1 = "registry.example.com/shop/web:1.0.0"
V2 = "registry.example.com/shop/web:2.0.0"
NAME = "web"
CANARY = f"{NAME}-canary"
HISTOGRAM = "autocanary_coordinator_abort_to_zero_weight_seconds"


def deployments(ns, name=""):
    return f"/apis/apps/v1/namespaces/{ns}/deployments" + (f"/{name}" if name else "")


def canary_record(api, ns):
    return api.get(f"/apis/autocanary.io/v1alpha1/namespaces/{ns}/canaries/{NAME}", missing_ok=True)


def canary_pods(api, ns):
    selector = f"autocanary.io/track%3Dcanary,autocanary.io/canary-of%3D{NAME}"
    return api.get(f"/api/v1/namespaces/{ns}/pods?labelSelector={selector}")["items"]


def ready(pod):
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod.get("status", {}).get("conditions", []))


SPLIT_VERSION = "split.smi-spec.io/v1alpha2"


def splits(ns, name=""):
    return f"/apis/{SPLIT_VERSION}/namespaces/{ns}/trafficsplits" + (f"/{name}" if name else "")


def split_canary_weight(obj):
    return next((b["weight"] for b in obj["spec"]["backends"] if b["service"] == f"{NAME}-canary"), None)


def opt_in(api, namespaces):
    """Opted-in namespaces, each once its default ServiceAccount exists (pods
    cannot be created before)."""
    for ns in namespaces:
        api.create("/api/v1/namespaces",
                   {"apiVersion": "v1", "kind": "Namespace",
                    "metadata": {"name": ns, "labels": {"autocanary.io/enabled": "true"}}})
    for ns in namespaces:
        wait_for(lambda: api.get(f"/api/v1/namespaces/{ns}/serviceaccounts/default", missing_ok=True),
                 f"the default ServiceAccount in {ns}", timeout=60)


def prepare(api, namespaces, router):
    """Every rollout up to its pause step, side by side."""
    opt_in(api, namespaces)
    for ns in namespaces:
        manifest = deployment(NAME, ns, V1, 4)
        if router == "smi":
            api.create(f"/api/v1/namespaces/{ns}/services", {
                "apiVersion": "v1", "kind": "Service", "metadata": {"name": NAME, "namespace": ns},
                "spec": {"selector": {"app": NAME}, "ports": [{"port": 80, "targetPort": 8080}]}})
            manifest["metadata"]["annotations"] = {"autocanary.io/traffic-backend": "smi"}
        created = api.create(deployments(ns), manifest)
        if created["metadata"].get("labels", {}).get("autocanary.io/managed") != "true":
            raise RuntimeError(f"{ns}/{NAME} was not marked managed: is the webhook registered?")

    def rolled_out(ns):
        d = api.get(deployments(ns, NAME))
        s = d.get("status", {})
        return s.get("observedGeneration", 0) >= d["metadata"]["generation"] and s.get("readyReplicas") == 4

    for ns in namespaces:
        wait_for(lambda: rolled_out(ns), f"{ns}/{NAME} v1 with 4 Ready pods", timeout=120)
    for ns in namespaces:
        patch = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": V2}]}}}}
        updated = api.patch(deployments(ns, NAME), patch, kind="strategic")
        if "autocanary.io/pending-revision" not in updated["metadata"].get("annotations", {}):
            raise RuntimeError(f"{ns}/{NAME}: the webhook recorded no pending revision")

    def in_pause(ns):
        status = (canary_record(api, ns) or {}).get("status", {})
        if status.get("phase") != "Progressing" or not status.get("stepDescription", "").startswith("pause"):
            return False
        canary = api.get(deployments(ns, CANARY), missing_ok=True)
        if router == "smi":
            split = api.get(splits(ns, f"{NAME}-autocanary"), missing_ok=True)
            if not split or not split_canary_weight(split):
                return False
        return canary and canary.get("status", {}).get("readyReplicas", 0) >= 1 and \
            any(ready(p) for p in canary_pods(api, ns))

    for ns in namespaces:
        wait_for(lambda: in_pause(ns), f"{ns}: canary Ready and the Canary in its pause step", timeout=120)


class StalledPrometheus:
    """Answers every query (value 0) `seconds` after it arrived; counts the
    queries that arrived and those waiting for their answer."""

    def __init__(self, port, seconds):
        self.lock = threading.Lock()
        self.arrived = 0
        self.outstanding = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with owner.lock:
                    owner.arrived += 1
                    owner.outstanding += 1
                try:
                    time.sleep(seconds)
                    body = json.dumps({"status": "success", "data": {
                        "resultType": "vector", "result": [{"metric": {}, "value": [time.time(), "0"]}]}}).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the coordinator gave up on it
                finally:
                    with owner.lock:
                        owner.outstanding -= 1

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def counts(self):
        with self.lock:
            return self.arrived, self.outstanding


STALLED_STEPS = "[{setWeight: 25}, {analysis: {names: [stalled-query]}}, {setWeight: 100}]"


def prepare_stalled(api, namespaces, stalled):
    """Rollouts in an analysis step that queries the stalled Prometheus, until
    each has sent its first query."""
    opt_in(api, namespaces)
    for ns in namespaces:
        manifest = deployment(NAME, ns, V1, 1)
        manifest["metadata"]["annotations"] = {"autocanary.io/steps": STALLED_STEPS}
        api.create(deployments(ns), manifest)
    for ns in namespaces:
        wait_for(lambda: api.get(deployments(ns, NAME)).get("status", {}).get("readyReplicas") == 1,
                 f"{ns}/{NAME} v1 Ready", timeout=120)
        patch = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": V2}]}}}}
        api.patch(deployments(ns, NAME), patch, kind="strategic")
    for ns in namespaces:
        wait_for(lambda: (canary_record(api, ns) or {}).get("status", {}).get("stepDescription") ==
                 "analysis stalled-query", f"{ns}: in its analysis step", timeout=120)
    wait_for(lambda: stalled.counts()[0] >= len(namespaces), "a query from every stalled rollout", timeout=120)


class FirstMatch:
    """Reads a watch on a thread; remembers when the first matching event arrived."""

    def __init__(self, watch, matches):
        self.arrived_ns = None
        self.found = threading.Event()
        self._watch = watch
        self._matches = matches
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        for arrived, event in self._watch.events():
            if event.get("type") in ("ADDED", "MODIFIED") and self._matches(event["object"]):
                self.arrived_ns = arrived
                self.found.set()
                return

    def close(self):
        self._watch.close()
        self._thread.join(timeout=5)


def weight_zero(obj):
    return obj["spec"].get("replicas") == 0 and \
        obj["metadata"].get("annotations", {}).get("autocanary.io/weight") == "0"


def crash_looping(obj):
    return any(s.get("restartCount") == 5 for s in obj.get("status", {}).get("containerStatuses", []))


def measure(api, ns, coordinator_port, timeout, router, stalled=None):
    if router == "smi":
        routed = api.get(splits(ns, f"{NAME}-autocanary"))
        collection, name, at_zero = splits(ns), f"{NAME}-autocanary", lambda obj: split_canary_weight(obj) == 0
    else:
        routed = api.get(deployments(ns, CANARY))
        collection, name, at_zero = deployments(ns), CANARY, weight_zero
    if at_zero(routed):
        raise RuntimeError(f"{ns}: the canary is at weight 0 before the check failed")
    pod = next(p for p in canary_pods(api, ns) if ready(p))
    pod_name = pod["metadata"]["name"]
    container = pod["spec"]["containers"][0]
    status_patch = {"status": {"containerStatuses": [{
        "name": container["name"], "image": container["image"], "imageID": "", "ready": False,
        "restartCount": 5, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}}

    weight = FirstMatch(api.open_watch(collection, {
        "fieldSelector": f"metadata.name={name}",
        "resourceVersion": routed["metadata"]["resourceVersion"]}, timeout_seconds=60), at_zero)
    pod_seen = FirstMatch(api.open_watch(f"/api/v1/namespaces/{ns}/pods", {
        "fieldSelector": f"metadata.name={pod_name}",
        "resourceVersion": pod["metadata"]["resourceVersion"]}, timeout_seconds=60), crash_looping)
    before = histogram(metrics(coordinator_port), HISTOGRAM)
    time.sleep(0.3)  # both watches registered, nothing else in flight for this rollout
    outstanding = stalled.counts()[1] if stalled else 0
    try:
        t0 = time.monotonic_ns()
        api.patch(f"/api/v1/namespaces/{ns}/pods/{pod_name}/status", status_patch)
        acked = time.monotonic_ns()
        if not weight.found.wait(timeout):
            raise RuntimeError(f"{ns}: the canary did not reach weight 0 within {timeout}s")
        pod_seen.found.wait(5)
    finally:
        weight.close()
        pod_seen.close()

    # The coordinator observes its histogram right after its patch returns.
    def observed():
        after = histogram(metrics(coordinator_port), HISTOGRAM)
        return after if after[2] > before[2] else None
    after = wait_for(observed, "the coordinator's abort histogram to count the run", timeout=5, interval=0.05)
    counted = after[2] - before[2]
    return {
        "namespace": ns,
        "pod": pod_name,
        "total_ms": (weight.arrived_ns - t0) / 1e6,
        "patch_ack_ms": (acked - t0) / 1e6,
        "pod_event_ms": (pod_seen.arrived_ns - t0) / 1e6 if pod_seen.arrived_ns else float("nan"),
        "coordinator_ms": (after[1] - before[1]) * 1e3 / counted,
        "counted": counted,
        "stalled_outstanding": outstanding,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--coordinator-port", type=int, required=True)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--settle", type=float, default=2.0, help="seconds between runs")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds a run may take")
    parser.add_argument("--prefix", default="bench-abort", help="namespaces are PREFIX-1 … PREFIX-N")
    parser.add_argument("--json", help="write the runs here too")
    parser.add_argument("--router", choices=["podRatio", "smi"], default="podRatio",
                        help="where weight 0 is watched: the canary Deployment, or an SMI TrafficSplit")
    parser.add_argument("--stalled", type=int, default=0, help="rollouts analysing with a stalled Prometheus")
    parser.add_argument("--stall-port", type=int, default=0, help="where the stalled Prometheus listens")
    parser.add_argument("--stall-seconds", type=float, default=10.0, help="how late it answers each query")
    args = parser.parse_args()

    api = Api(args.kubeconfig)
    namespaces = [f"{args.prefix}-{i + 1}" for i in range(args.runs)]
    started = time.monotonic()
    prepare(api, namespaces, args.router)
    print(f"prepared {len(namespaces)} rollouts in {time.monotonic() - started:.1f}s", flush=True)
    stalled = None
    if args.stalled:
        stalled = StalledPrometheus(args.stall_port, args.stall_seconds)
        prepare_stalled(api, [f"{args.prefix}-stalled-{i + 1}" for i in range(args.stalled)], stalled)
        print(f"{args.stalled} more rollouts analysing with a Prometheus that answers after "
              f"{args.stall_seconds:g} s", flush=True)

    runs = []
    for i, ns in enumerate(namespaces):
        time.sleep(args.settle)  # let the previous abort's aftermath (scale-down, events) pass
        run = measure(api, ns, args.coordinator_port, args.timeout, args.router, stalled)
        runs.append(run)
        print(f"run {i + 1:2d} {ns:16s} failing check -> weight 0: {run['total_ms']:7.1f} ms "
              f"(pod patch acked {run['patch_ack_ms']:5.1f} ms, pod event at a watcher {run['pod_event_ms']:5.1f} ms, "
              f"coordinator pass {run['coordinator_ms']:6.1f} ms"
              + (f", stalled queries outstanding {run['stalled_outstanding']}" if stalled else "") + ")", flush=True)

    final = histogram(metrics(args.coordinator_port), HISTOGRAM)
    if args.json:
        Path(args.json).write_text(json.dumps({"runs": runs, "histogram": final}, indent=1))

    def row(label, values):
        ordered = sorted(values)
        return (f"{label:52s} {percentile(ordered, 0.5):8.1f} {percentile(ordered, 0.9):8.1f} "
                f"{ordered[-1]:8.1f}")

    print()
    print(f"{f'abort to weight 0 ({args.router}), {len(runs)} runs (ms)':52s} {'median':>8s} {'p90':>8s} {'max':>8s}")
    print(row("failing check -> weight 0 seen on a watch (T1-T0)", [r["total_ms"] for r in runs]))
    print(row("  pod status PATCH answered", [r["patch_ack_ms"] for r in runs]))
    print(row("  pod change seen on a watch", [r["pod_event_ms"] for r in runs]))
    print(row("  coordinator pass start -> its patch returned", [r["coordinator_ms"] for r in runs]))
    print(row("  rest: watch delivery + queue + weight watch", [r["total_ms"] - r["coordinator_ms"] for r in runs]))
    if stalled:
        print(row(f"  stalled queries outstanding at T0 ({args.stalled} rollouts)",
                  [float(r["stalled_outstanding"]) for r in runs]))
    buckets, total, count = final
    print()
    print(f"coordinator histogram {HISTOGRAM}: count {count:.0f}, mean {1e3 * total / max(count, 1):.1f} ms")
    previous = 0.0
    for bound, cumulative in buckets:
        label = "+Inf" if bound == float("inf") else f"{bound * 1e3:g} ms"
        print(f"  le {label:>8s}: {cumulative - previous:4.0f}  (cumulative {cumulative:.0f})")
        previous = cumulative
    print()
    print("T1-T0 covers: the pod status PATCH (apiserver, etcd) -> the pod watch event to the coordinator's")
    print("informer -> work queue -> reconcile pass (GET Deployment, GET canary Deployment, GET Canary, LIST")
    print("canary pods, plan) -> merge PATCH of the canary Deployment (replicas 0, weight \"0\") -> etcd -> the")
    print("watch event to this process. The coordinator's histogram covers only its pass (start -> patch returned).")


if __name__ == "__main__":
    main()

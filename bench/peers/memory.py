"""Controller memory and CPU side by side: autocanary's coordinator, Flagger
and Kruise Rollout, started together against one empty control plane, then
each given DEPLOYMENTS Deployments (replicas 0, bench/coordinator_memory.py's
typical Deployment) in NAMESPACES namespaces of its own, with the per-app
resources it needs: for autocanary a namespace label (the webhook labels each
Deployment managed); for Flagger a Canary per Deployment (provider kubernetes,
so no mesh is needed; Flagger then creates a primary Deployment and three
Services per app); for Kruise Rollout a Rollout per Deployment. Driven by
bench/peers/run.sh memory.

From /proc/PID/status and /proc/PID/stat every 0.5 s: VmRSS, VmHWM and
utime+stime. Phases: empty (all three started, nothing to manage), create (the
Deployments and per-app resources applied, until each controller has settled:
our reconcile counter quiet, every Canary Initialized, every Rollout Healthy,
or TIMEOUT), idle (IDLE seconds with nothing happening: steady RSS and CPU).

Each peer's informers watch every Deployment of the cluster, not only its own
(autocanary's caches only managed ones), so each caches all 3 × DEPLOYMENTS
Deployments plus Flagger's primaries; that is how each is built, and what a
cluster running all three would pay.
"""

import http.client
import json
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import (Flagger, arguments, KruiseRollout, autocanary_pids, free_port, kruise_rollout, load,  # noqa: E402
                   proc_stats)
from kubeapi import Api, create_concurrently  # noqa: E402
from coordinator_memory import V1, Coordinator, manifest  # noqa: E402

MIB = 1024.0


class Sampler:
    """proc_stats of several named processes every `interval` seconds."""

    def __init__(self, pids, interval=0.5):
        self.pids = dict(pids)
        self.samples = []  # (monotonic, phase, name, stats)
        self.loads = []  # (phase, 1-minute load average)
        self.phase = "-"
        self.marks = {}  # phase -> {name: stats at its start}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)
        self._thread.start()

    def mark(self, phase):
        self.phase = phase
        self.marks[phase] = (time.monotonic(), {n: proc_stats(p) for n, p in self.pids.items()})

    def _run(self, interval):
        while not self._stop.wait(interval):
            now, phase = time.monotonic(), self.phase
            self.loads.append((phase, load()))
            for name, pid in self.pids.items():
                stats = proc_stats(pid)
                if stats:
                    self.samples.append((now, phase, name, stats))

    def of(self, phase, name):
        return [s[3] for s in self.samples if s[1] == phase and s[2] == name]

    def load(self, phase):
        """Mean and max of the 1-minute load average over a phase."""
        values = [v for p, v in self.loads if p == phase] or [float("nan")]
        return statistics.mean(values), max(values)

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=5)


def flagger_canary(namespace, name):
    return {
        "apiVersion": "flagger.app/v1beta1", "kind": "Canary",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "provider": "kubernetes",
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "progressDeadlineSeconds": 60,
            "service": {"port": 8080, "targetPort": 8080},
            # The blue/green analysis of Flagger's Kubernetes-provider docs.
            "analysis": {"interval": "1m", "threshold": 5, "iterations": 10},
        },
    }



# When a peer has taken on every app: the phase its per-app resource reaches.
PEER_DONE = {"Flagger": ("/apis/flagger.app/v1beta1/canaries", "Initialized", "Canaries"),
             "Kruise Rollout": ("/apis/rollouts.kruise.io/v1beta1/rollouts", "Healthy", "Rollouts")}


def main():
    parser = arguments(__doc__, 1800)
    parser.add_argument("--policy", required=True, help="our coordinator's policy file")
    parser.add_argument("--deployments", type=int, default=1000, help="per controller")
    parser.add_argument("--namespaces", type=int, default=10, help="per controller")
    parser.add_argument("--idle", type=float, default=60, help="seconds of the idle phase")
    parser.add_argument("--workers", type=int, default=8, help="concurrent create requests")
    args = parser.parse_args()

    kubeconfig = str(Path(args.run_dir) / "kubeconfig")
    api = Api(kubeconfig)
    Flagger.install(kubeconfig)
    KruiseRollout.install(kubeconfig, args.work)
    # The chart's leader-election timings (not bench/coordinator_memory.py's fast
    # ones, whose 500 ms renewals would count against our idle CPU).
    coordinator = Coordinator(args.run_dir, "peers", args.policy, ["--log-level", "warn"])
    # Nothing listens there: this measurement runs no analysis.
    flagger = Flagger(args.run_dir, kubeconfig, "kubernetes", f"http://127.0.0.1:{free_port()}")
    kruise = KruiseRollout(args.run_dir, kubeconfig)
    sampler = None
    try:
        coordinator.start()
        flagger.start()
        kruise.start()
        pids = {"autocanary coordinator": coordinator.pid, "Flagger": flagger.pid, "Kruise Rollout": kruise.pid}
        webhook = autocanary_pids(args.run_dir).get("autocanary-webhook")
        if webhook:
            pids["autocanary webhook"] = webhook
        sampler = Sampler(pids)
        sampler.mark("empty")
        time.sleep(20)
        for process in (flagger, kruise):
            process.check_alive()
        result = run(api, coordinator, flagger, kruise, sampler, args)
    finally:
        if sampler:
            sampler.stop()
        for process in (flagger, kruise):
            process.stop()
        coordinator.stop()
    report(sampler, result, args)


def run(api, coordinator, flagger, kruise, sampler, args):
    per = args.deployments // args.namespaces
    sets = {"autocanary": ("peers-mem-ours", {"autocanary.io/enabled": "true"}),
            "Flagger": ("peers-mem-flagger", {}), "Kruise Rollout": ("peers-mem-kruise", {})}
    sampler.mark("create")
    started = time.monotonic()
    for side, (prefix, labels) in sets.items():
        for i in range(args.namespaces):
            api.create("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                              "metadata": {"name": f"{prefix}-{i + 1:02d}", "labels": labels}})
    deadline = started + args.timeout
    # Interleaved app by app (ours, Flagger's, Kruise Rollout's, then the next),
    # so no side gets its objects first; each app's Deployment before the
    # resource naming it. No further app is taken once the time is up (what was
    # created is reported).
    counts = {side: 0 for side in sets}

    def groups():
        for i in range(args.namespaces):
            for j in range(per):
                for side, (prefix, _) in sets.items():
                    if time.monotonic() > deadline:
                        return
                    ns = f"{prefix}-{i + 1:02d}"
                    app = manifest(f"app-{j + 1:05d}", ns, V1)
                    group = [(f"/apis/apps/v1/namespaces/{ns}/deployments", app)]
                    if side == "Flagger":
                        group.append((f"/apis/flagger.app/v1beta1/namespaces/{ns}/canaries",
                                      flagger_canary(ns, app["metadata"]["name"])))
                    elif side == "Kruise Rollout":
                        group.append((f"/apis/rollouts.kruise.io/v1beta1/namespaces/{ns}/rollouts",
                                      kruise_rollout(ns, app["metadata"]["name"])))
                    counts[side] += 1
                    if counts[side] % 100 == 0:
                        print(f"[{time.monotonic() - started:6.0f} s] {side}: {counts[side]} apps being created "
                              f"(load {load()})", flush=True)
                    yield group

    create_concurrently(api, groups(), workers=args.workers)
    applied = time.monotonic() - started

    total = min(counts.values())
    settled = {}
    state = {}
    while time.monotonic() < deadline and len(settled) < 3:
        for process in (flagger, kruise):
            process.check_alive()
        try:
            poll(api, coordinator, total, settled, state, started)
        except (OSError, http.client.HTTPException) as error:  # a list that timed out on the busy apiserver
            state["last poll"] = f"failed: {error!r}"
        print(f"[{time.monotonic() - started:6.0f} s] " + "; ".join(f"{k}: {v}" for k, v in state.items()),
              flush=True)
        time.sleep(15)
    sampler.mark("idle")
    reconciles = coordinator.reconciles()
    time.sleep(args.idle)
    sampler.mark("end")
    return {"applied": applied, "settled": settled, "state": state, "total": total,
            "idle reconciles": coordinator.reconciles() - reconciles}


def poll(api, coordinator, total, settled, state, started):
    """Marks in `settled` each side that has taken on all `total` apps."""
    state.pop("last poll", None)
    if "autocanary" not in settled:
        managed = len(api.get("/apis/apps/v1/deployments?labelSelector=autocanary.io%2Fmanaged%3Dtrue")["items"])
        state["autocanary"] = f"{managed} managed, {coordinator.reconciles():.0f} reconciles"
        if managed >= total and coordinator.reconciles() >= total:
            try:
                coordinator.wait_quiet(total, 5, 60)
                settled["autocanary"] = time.monotonic() - started
            except TimeoutError:
                pass
    for side, (path, phase, kind) in PEER_DONE.items():
        if side in settled:
            continue
        done = sum(1 for item in api.get(path)["items"] if item.get("status", {}).get("phase") == phase)
        state[side] = f"{done} of {total} {kind} {phase}"
        if done >= total:
            settled[side] = time.monotonic() - started


def report(sampler, result, args):
    if sampler is None or result is None:
        return
    names = list(sampler.pids)
    idle_start, idle_marks = sampler.marks["idle"]
    end_time, end_marks = sampler.marks["end"]
    create_start, create_marks = sampler.marks["create"]
    loads = {phase: sampler.load(phase) for phase in ("create", "idle")}
    print()
    print(f"controllers managing {result['total']} Deployments each (replicas 0) in {args.namespaces} namespaces "
          f"each, started together; all created in {result['applied']:.0f} s ({args.workers} concurrent requests)")
    for side in ("autocanary", "Flagger", "Kruise Rollout"):
        at = result["settled"].get(side)
        print(f"  {side}: " + (f"settled {at:.0f} s after the first create" if at is not None else
                               f"NOT settled within {args.timeout:.0f} s: {result['state'].get(side)}"))
    print(f"  our coordinator's reconciles over the {args.idle:.0f} s idle phase: {result['idle reconciles']:.0f} "
          "(it resyncs every managed Deployment every 300 s)")
    print("  machine load (1-minute average), mean / max: " +
          "; ".join(f"{phase} {mean:.1f} / {top:.1f}" for phase, (mean, top) in loads.items()))
    print()
    print(f"{'process':24s} {'RSS empty':>9s} {'RSS steady':>10s} {'RSS peak':>8s} {'CPU create s':>12s} "
          f"{'CPU s/idle min':>14s}")
    rows = {}
    for name in names:
        empty = sampler.of("empty", name)
        idle = sampler.of("idle", name)
        if not idle or not end_marks.get(name) or not create_marks.get(name):
            print(f"{name:24s} (no samples: the process ended)")
            continue
        rss_empty = statistics.median(s["VmRSS"] for s in empty) / MIB if empty else float("nan")
        rss_idle = statistics.median(s["VmRSS"] for s in idle) / MIB
        hwm = end_marks[name]["VmHWM"] / MIB
        cpu_create = idle_marks[name]["cpu"] - create_marks[name]["cpu"]
        cpu_idle = 60 * (end_marks[name]["cpu"] - idle_marks[name]["cpu"]) / (end_time - idle_start)
        rows[name] = (rss_idle, hwm, cpu_create, cpu_idle)
        print(f"{name:24s} {rss_empty:9.1f} {rss_idle:10.1f} {hwm:8.1f} {cpu_create:12.1f} {cpu_idle:14.2f}")
    print("(MiB: RSS steady = median VmRSS over the idle phase, RSS peak = VmHWM at its end; CPU = utime+stime, "
          "create: from the first create until all settled or the timeout; idle: per minute of the idle phase)")
    ours = rows.get("autocanary coordinator")
    if ours:
        print()
        ratio = lambda a, b: f"{a / b:.3f}" if b else "n/a"  # noqa: E731
        for peer in ("Flagger", "Kruise Rollout"):
            if peer in rows:
                p = rows[peer]
                print(f"ratio autocanary coordinator / {peer}: steady RSS {ratio(ours[0], p[0])}, "
                      f"peak RSS {ratio(ours[1], p[1])}, CPU while creating {ratio(ours[2], p[2])}, "
                      f"CPU idle {ratio(ours[3], p[3])}")


if __name__ == "__main__":
    main()

"""The real node benchmark: what autocanary costs as pods of the local cluster's
real node (tests/cluster/real-node.sh). Driven by bench/real_node.sh, which
brings the cluster up with REAL_NODE=1 and imports the images; see
docs/benchmarks.md, "Real node".

In one run:

  admission  the apiserver's own histogram of our webhook's calls
             (apiserver_admission_webhook_admission_duration_seconds, the
             difference before/after ADMISSIONS dry-run Deployment CREATEs in an
             opted-in namespace), with the webhook in a pod (helm install, one
             replica, called through its Service) and then on the host (the same
             chart with webhook.externalURL, the same binary from build-release).
             Its buckets are coarse (5 ms, 25 ms, ...), so each CREATE is also
             timed at the client, beside the same CREATE in a namespace that is
             not opted in (no webhook call): the difference of the medians is
             what the webhook adds to a request.
  memory     the webhook, coordinator and shim containers' cgroups (v1, under
             the kubelet's kubepods root): memory.usage_in_bytes,
             memory.max_usage_in_bytes and memory.stat's rss; the host webhook's
             VmRSS/VmHWM beside it.
  pod start  create → Ready (the kubelet's Ready condition, seen by a watch) of
             the test app's pod as the canary runs it: with the shim as the
             webhook injects it, without it and with no probe, and without it
             with an equivalent kubelet tcpSocket readinessProbe; PODS of each,
             interleaved, one at a time.
"""

import argparse
import copy
import glob
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests/e2e"))
from kubeapi import Api, percentile  # noqa: E402

from helm_release import Helm, HostedRelease  # noqa: E402
from kube import Kubectl, wait_for  # noqa: E402
from pod_release import ENABLED, PodRelease, app, ready  # noqa: E402

MIB = 1024 * 1024
HISTOGRAM = "apiserver_admission_webhook_admission_duration_seconds"
WEBHOOK_NAME = "deployments.autocanary.io"
POLICY = {"steps": [{"setWeight": 50}, {"pause": {}}, {"setWeight": 100}], "trafficBackend": "podRatio",
          "abortScaleDownDelay": "0s"}


def apiserver_histogram(api):
    """{upper bound: cumulative count} of our webhook's CREATE admissions, summed over the label sets."""
    text = api.raw_get("/metrics").decode()
    buckets = {}
    for line in text.splitlines():
        if not line.startswith(HISTOGRAM + "_bucket{") or f'name="{WEBHOOK_NAME}"' not in line:
            continue
        if 'operation="CREATE"' not in line:
            continue
        labels, _, value = line.rpartition(" ")
        le = labels.split('le="', 1)[1].split('"', 1)[0]
        bound = float("inf") if le == "+Inf" else float(le)
        buckets[bound] = buckets.get(bound, 0) + float(value)
    return buckets


def quantile(buckets, q):
    """histogram_quantile's estimate: linear within the bucket holding the rank."""
    bounds = sorted(buckets)
    total = buckets[bounds[-1]] if bounds else 0
    if total == 0:
        return float("nan")
    rank = q * total
    lower, below = 0.0, 0.0
    for bound in bounds:
        if buckets[bound] >= rank:
            if bound == float("inf"):
                return lower
            return lower + (bound - lower) * (rank - below) / max(buckets[bound] - below, 1e-9)
        lower, below = bound, buckets[bound]
    return lower


def admission_run(api, enabled_ns, plain_ns, n, warmup):
    """Client times (ms) of dry-run CREATEs, opted-in and not, interleaved; the
    apiserver's histogram of the webhook calls they made."""
    def create(namespace, i):
        body = json.loads(app(f"bench-{i}", namespace, "v1", replicas=1))
        started = time.perf_counter()
        api.create(f"/apis/apps/v1/namespaces/{namespace}/deployments?dryRun=All", body)
        return (time.perf_counter() - started) * 1000
    for i in range(warmup):
        create(enabled_ns, i)
        create(plain_ns, i)
    before = apiserver_histogram(api)
    with_hook, without = [], []
    for i in range(n):
        with_hook.append(create(enabled_ns, i))
        without.append(create(plain_ns, i))
    after = apiserver_histogram(api)
    delta = {bound: after.get(bound, 0) - before.get(bound, 0) for bound in after}
    total = delta.get(float("inf"), 0)
    assert total == n, f"the apiserver counted {total} webhook calls for {n} CREATEs"
    return {"histogram": delta, "median_ms": quantile(delta, 0.5) * 1000, "p90_ms": quantile(delta, 0.9) * 1000,
            "client_with_ms": statistics.median(with_hook), "client_without_ms": statistics.median(without),
            "client_with_p90_ms": percentile(sorted(with_hook), 0.9),
            "client_without_p90_ms": percentile(sorted(without), 0.9)}


def container_cgroup(pod, container):
    """The memory cgroup dir of a container (cgroup v1, the kubelet's cgroupfs driver)."""
    statuses = pod["status"].get("containerStatuses", []) + pod["status"].get("initContainerStatuses", [])
    cid = next(s["containerID"] for s in statuses if s["name"] == container).split("://", 1)[1]
    uid = pod["metadata"]["uid"]
    found = glob.glob(f"/sys/fs/cgroup/memory/kubepods/pod{uid}/{cid}") + \
        glob.glob(f"/sys/fs/cgroup/memory/kubepods/*/pod{uid}/{cid}")
    assert len(found) == 1, f"no single memory cgroup for {container} of {pod['metadata']['name']}: {found}"
    return Path(found[0])


def cgroup_memory(path):
    """The cgroup's own counters (rss: anonymous memory; cache: page cache charged to it,
    the binary's and libraries' pages among them when this cgroup read them first), and
    the VmRSS of its processes, comparable with a host process's."""
    stat = dict(line.split() for line in (path / "memory.stat").read_text().splitlines())
    pids = (path / "cgroup.procs").read_text().split()
    return {"usage": int((path / "memory.usage_in_bytes").read_text()) / MIB,
            "max_usage": int((path / "memory.max_usage_in_bytes").read_text()) / MIB,
            "rss": int(stat["rss"]) / MIB, "cache": int(stat["cache"]) / MIB,
            "VmRSS": sum(process_memory(pid)["VmRSS"] for pid in pids)}


def process_memory(pid):
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return {"VmRSS": int(fields["VmRSS"].split()[0]) / 1024, "VmHWM": int(fields["VmHWM"].split()[0]) / 1024}


def pod_ready_seconds(api, namespace, pod):
    """Seconds from the POST of the pod until a watch shows it Ready."""
    started = time.monotonic_ns()
    created = api.create(f"/api/v1/namespaces/{namespace}/pods", pod)
    watch = api.open_watch(f"/api/v1/namespaces/{namespace}/pods",
                           {"fieldSelector": f"metadata.name={created['metadata']['name']}",
                            "resourceVersion": created["metadata"]["resourceVersion"]}, timeout_seconds=120)
    try:
        for arrived, event in watch.events():
            if ready(event["object"]):
                return (arrived - started) / 1e9, event["object"]
    finally:
        watch.close()
    raise TimeoutError(f"pod {created['metadata']['name']} not Ready within 120 s")


def pod_variants(template):
    """The canary's pod as the webhook made it (the shim), and the same app without the shim,
    with no probe and with the kubelet's own TCP probe, as bare pods."""
    spec = copy.deepcopy(template["spec"])
    shim = [c for c in spec.get("initContainers", []) if c["name"] == "autocanary-shim"]
    assert len(shim) == 1, "the canary runs the shim"
    bare = copy.deepcopy(spec)
    bare["initContainers"] = [c for c in spec["initContainers"] if c["name"] != "autocanary-shim"]
    kubelet_probe = copy.deepcopy(bare)
    kubelet_probe["containers"][0]["readinessProbe"] = {"tcpSocket": {"port": 8080}, "periodSeconds": 1,
                                                        "failureThreshold": 1}
    return {"shim": spec, "no probe": bare, "kubelet tcp probe": kubelet_probe}


def pod_start(api, kube, namespace, template, n):
    variants = pod_variants(template)
    times = {name: [] for name in variants}
    shim_pods = []
    for i in range(n):
        for name, spec in variants.items():
            pod = {"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": f"start-{name.split()[0]}-{i}", "namespace": namespace,
                                "labels": {"bench": "pod-start"}},
                   "spec": spec}
            seconds, ready_pod = pod_ready_seconds(api, namespace, pod)
            times[name].append(seconds)
            if name == "shim":
                shim_pods.append(ready_pod)
    # Every shim has served probes for a while now; read their cgroups together.
    memory = []
    for pod in shim_pods:
        live = kube.get("pod", pod["metadata"]["name"], namespace)
        memory.append(cgroup_memory(container_cgroup(live, "autocanary-shim")))
    kube.run("delete", "pods", "-n", namespace, "-l", "bench=pod-start", "--wait=true", "--timeout=120s",
             timeout=130)
    return times, memory


def median_memory(samples):
    return {key: statistics.median(s[key] for s in samples) for key in samples[0]}


def fmt_memory(m):
    return (f"rss {m['rss']:.1f} MiB, cache {m['cache']:.1f} MiB, usage {m['usage']:.1f} MiB, "
            f"max usage {m['max_usage']:.1f} MiB; its process's VmRSS {m['VmRSS']:.1f} MiB")


def fmt_buckets(histogram):
    shown, below = [], 0
    for bound in sorted(histogram):
        count = histogram[bound] - below
        below = histogram[bound]
        if count:
            shown.append(f"≤{'+Inf' if bound == float('inf') else f'{bound * 1000:g} ms'}: {count:.0f}")
    return ", ".join(shown)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--run-dir", required=True)
    parser.add_argument("--kubectl", required=True)
    parser.add_argument("--admissions", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--pods", type=int, default=10)
    parser.add_argument("--json")
    args = parser.parse_args()

    kube = Kubectl(str(Path(args.run_dir) / "kubeconfig"), args.kubectl)
    api = Api(kube.kubeconfig, args.kubectl)
    helm = Helm(kube, args.run_dir)
    results = {}

    enabled, plain, starts = "bench-admit", "bench-plain", "bench-start"
    kube.create_namespace(enabled, ENABLED)
    kube.create_namespace(plain)
    kube.create_namespace(starts)
    one = ["--set", "webhook.replicas=1", "--set", "coordinator.replicas=1",
           "--set-json", f"defaultPolicy.spec={json.dumps(POLICY)}"]

    # --- the webhook and coordinator in pods ---
    kube.create_namespace("ac-pods")
    release = PodRelease(kube, helm, "pods", "ac-pods", one)
    release.install()
    print(f"helm install: webhook and coordinator pods Ready on the real node", flush=True)
    results["pod"] = admission_run(api, enabled, plain, args.admissions, args.warmup)
    webhook_pod = release.pods("webhook")[0]
    results["webhook_pod_memory"] = cgroup_memory(container_cgroup(webhook_pod, "webhook"))

    # One canary, for the coordinator's memory after a rollout's work and for the pod the shim runs in.
    kube.apply(app("web", enabled, "v1", replicas=2))
    kube.run("rollout", "status", "deployment/web", "-n", enabled, "--timeout=120s", timeout=130)
    kube.apply(app("web", enabled, "v2", replicas=2))
    wait_for(lambda: kube.run("get", "deployment", "web-canary", "-n", enabled, check=False).returncode == 0,
             "the canary Deployment", timeout=120)
    kube.run("rollout", "status", "deployment/web-canary", "-n", enabled, "--timeout=120s", timeout=130)
    template = kube.get("deployment", "web-canary", enabled)["spec"]["template"]
    coordinator_pods = release.pods("coordinator")
    results["coordinator_pod_memory"] = cgroup_memory(container_cgroup(coordinator_pods[0], "coordinator"))
    print("canary of the test app running with the shim", flush=True)

    times, shim_memory = pod_start(api, kube, starts, template, args.pods)
    results["pod_start_s"] = times
    results["shim_memory"] = median_memory(shim_memory)
    results["shim_memory_samples"] = len(shim_memory)
    release.uninstall()
    kube.run("delete", "deployment", "web", "web-canary", "-n", enabled, "--ignore-not-found", timeout=60)

    # --- the same webhook binary on the host ---
    kube.create_namespace("ac-host")
    hosted = HostedRelease(kube, helm, args.run_dir, "host", "ac-host", one)
    with hosted.removed_on_failure():
        hosted.install()
        process = hosted.start_webhook()
        results["host"] = admission_run(api, enabled, plain, args.admissions, args.warmup)
        results["webhook_host_memory"] = process_memory(process.process.pid)
        hosted.stop_all()
    hosted.uninstall()

    n = args.admissions
    print()
    print(f"admission: {n} dry-run Deployment CREATEs in an opted-in namespace, each beside one in a namespace that is not")
    print(f"{'webhook':10} {'apiserver median':>17} {'p90':>8}   {'client median with':>19} {'without':>8} "
          f"{'added':>7}   {'client p90 with':>15} {'without':>8}   apiserver buckets")
    for where in ("pod", "host"):
        r = results[where]
        print(f"{'in a pod' if where == 'pod' else 'on host':10} {r['median_ms']:>14.2f} ms {r['p90_ms']:>5.2f} ms   "
              f"{r['client_with_ms']:>16.2f} ms {r['client_without_ms']:>5.2f} ms "
              f"{r['client_with_ms'] - r['client_without_ms']:>4.2f} ms   "
              f"{r['client_with_p90_ms']:>12.2f} ms {r['client_without_p90_ms']:>5.2f} ms   {fmt_buckets(r['histogram'])}")
    print()
    print("memory (cgroup v1 of the container):")
    print(f"  webhook in a pod, after the admissions: {fmt_memory(results['webhook_pod_memory'])}")
    print(f"  coordinator in a pod, one canary running: {fmt_memory(results['coordinator_pod_memory'])}")
    print(f"  shim, median of {results['shim_memory_samples']} Ready pods: {fmt_memory(results['shim_memory'])}")
    host = results["webhook_host_memory"]
    print(f"  (webhook on the host, after the admissions: VmRSS {host['VmRSS']:.1f} MiB, VmHWM {host['VmHWM']:.1f} MiB)")
    print()
    print(f"pod start, create → Ready, {args.pods} pods of each, one at a time (s):")
    for name, values in times.items():
        print(f"  {name:18} median {statistics.median(values):.2f}  min {min(values):.2f}  max {max(values):.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()

"""Canaries of real pods on the real node (tests/cluster/real-node.sh): the
webhook and the coordinator run on the host as in the other end-to-end tests,
the test app's containers run under containerd, the kubelet runs the readiness
shim's probe, and requests through the Service's ClusterIP are balanced by
kube-proxy (nftables).

- The shim judged by a kubelet: the same broken v2s of an app without a
  readinessProbe, under a policy that injects the shim (whenNoProbe, the
  default) and one that never does, side by side in parallel namespaces.
- Pod ratio with real requests: the canary's share of N requests at each step
  against status.actualWeight, and after an abort the time until no request
  reaches the canary (bench/real_traffic.sh repeats it; docs/benchmarks.md).

Run with -s to see the shares and times quoted in docs/benchmarks.md."""

import json
import math
import os
import re
import socket
import statistics
import subprocess
import threading
import time
import urllib.parse
from datetime import datetime

import pytest

from analysis_servers import Gate
from kube import Coordinators, canary_status, unique, wait_for, wait_phase
import pollers

IMAGE = "autocanary-test-app:dev"
ENABLED = "autocanary.io/enabled"


def app(ns, node, version, replicas, **env):
    """The test app as a plain Deployment `web` pinned to the real node, with no
    readinessProbe of its own: under whenNoProbe the canary gets the shim, which
    probes the declared port 8080 (a TCP connect)."""
    env_lines = "".join(f"\n            - {{name: {k}, value: \"{v}\"}}" for k, v in
                        {"APP_VERSION": version, **env}.items())
    return f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: {ns}}}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      nodeSelector: {{kubernetes.io/hostname: "{node}"}}
      tolerations:
        - {{key: autocanary.io/real-node, operator: Exists, effect: NoSchedule}}
      terminationGracePeriodSeconds: 5
      containers:
        - name: app
          image: {IMAGE}
          imagePullPolicy: Never
          ports: [{{containerPort: 8080}}]
          env:{env_lines}
---
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: {ns}}}
spec:
  selector: {{app: web}}
  ports: [{{port: 80, targetPort: 8080}}]
"""


def policy(name, spec):
    return f"""apiVersion: autocanary.io/v1alpha1
kind: ClusterCanaryPolicy
metadata: {{name: {name}}}
spec:
  trafficBackend: podRatio
  abortScaleDownDelay: 0s
{spec}"""


def rfc3339(text):
    """Seconds since the epoch of a Kubernetes timestamp (whole seconds, or the
    coordinator's milliseconds)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def namespace_with_policy(kube, prefix, policy_name):
    ns = unique(prefix)
    kube.create_namespace(ns, {ENABLED: "true", "autocanary.io/policy": policy_name})
    return ns


# ---- requests through the Service ---------------------------------------------------


def get(url, timeout=3):
    """(status, body) of one request on its own connection; (None, why) if none
    answered. The answer is read until the app closes the connection: when the
    server closes first, conntrack lets a later connection from the same source
    port be balanced anew, while a connection the client closed first keeps its
    endpoint for conntrack's TIME_WAIT (120 s) and a reused port can go back to
    it (the abort's poller wraps around the source ports within seconds)."""
    parts = urllib.parse.urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 80), timeout=timeout) as connection:
            connection.sendall(f"GET {parts.path or '/'} HTTP/1.1\r\nHost: {parts.hostname}\r\n"
                               "Connection: close\r\n\r\n".encode())
            data = b""
            while chunk := connection.recv(65536):
                data += chunk
        if not data:
            return None, "closed without an answer"
        head, _, body = data.decode().partition("\r\n\r\n")
        return int(head.split()[1]), body
    except (OSError, IndexError, ValueError) as error:
        return None, type(error).__name__


def version_and_host(body):
    """What the test app's answer to GET / says: "version=v2 host=web-…"."""
    fields = dict(f.split("=", 1) for f in body.split() if "=" in f)
    return fields.get("version"), fields.get("host")


def answer(url, timeout=3):
    """(status, version, host) of one request."""
    status, body = get(url, timeout)
    return status, *version_and_host(body)


def service_url(kube, ns, path="/"):
    return f"http://{kube.get('service', 'web', ns)['spec']['clusterIP']}{path}"


def ready_pods(kube, ns):
    """{name: version} of the Service's Ready pods that are not being deleted."""
    ready = {}
    for pod in kube.get("pods", namespace=ns, selector="app=web")["items"]:
        conditions = pod["status"].get("conditions", [])
        if pod["metadata"].get("deletionTimestamp") or not any(
                c["type"] == "Ready" and c["status"] == "True" for c in conditions):
            continue
        env = {e["name"]: e.get("value") for e in pod["spec"]["containers"][0].get("env", [])}
        ready[pod["metadata"]["name"]] = env.get("APP_VERSION")
    return ready


def wait_serving(kube, ns, url, timeout=60):
    """Waits until the pods answering through the Service are exactly its Ready
    pods and returns them: kube-proxy programs a Service's endpoints a moment
    after they change, and may program one before another: counting before
    that would count over other pods than those actualWeight is computed from."""
    def serving():
        pods = ready_pods(kube, ns)
        # 8 requests per pod: a pod missed by chance (k·(1−1/k)^(8k), under 0.2 % for k ≤ 6) is another try.
        hosts = {host for _, _, host in (answer(url) for _ in range(8 * max(len(pods), 1)))}
        return pods and hosts == set(pods) and pods
    return wait_for(serving, f"{ns}: the Service answering from exactly its Ready pods", timeout=timeout)


# ---- the shim judged by a kubelet ---------------------------------------------------

SLOW = 8  # seconds before the slow v2 listens
# The same v2s, each broken in one way; v1 is the plain app.
SCENARIOS = {
    "wrong-port": {"APP_LISTEN_PORT": "8081"},  # listens, but not on the port it declares
    "crash": {"APP_EXIT_AFTER": "1"},
    "slow": {"APP_LISTEN_DELAY": str(SLOW)},
    "never-ready": {"APP_NEVER_READY": "1"},  # /ready answers 503; nothing probes /ready
}
MODES = ("whenNoProbe", "never")
# The pod-health step is done once the canary's pods are Ready, which without a
# probe is at once: the pause after it is the time a crash has to show (pod
# health is judged on every pass). With a 2 s pause a loaded machine once
# promoted the crashing v2 under `never` before its first restart.
SHIM_POLICY = """  shimInjection: {mode}
  steps: [{{setWeight: 50}}, {{analysis: {{names: [pod-health]}}}}, {{pause: {{duration: 10s}}}}, {{setWeight: 100}}]
  podHealth: {{readyDeadline: 30s}}
"""


class CanaryPods:
    """Every state of every canary pod in the cluster, from one watch, with the
    host time it was seen: (time, namespace, pod, pod Ready, {container: ready},
    the app container's startedAt)."""

    def __init__(self, kube):
        self.seen = []
        self.process = subprocess.Popen(
            [kube.binary, "--kubeconfig", kube.kubeconfig, "get", "pods", "-A", "-l", "autocanary.io/track=canary",
             "--watch", "-o", "json"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        lines = []
        for line in self.process.stdout:  # one indented JSON object after another
            lines.append(line)
            if line.rstrip("\n") == "}":
                self._add(json.loads("".join(lines)))
                lines = []

    def _add(self, pod):
        status = pod.get("status", {})
        statuses = status.get("initContainerStatuses", []) + status.get("containerStatuses", [])
        started = next((c["state"]["running"]["startedAt"] for c in statuses
                        if c["name"] == "app" and "running" in c.get("state", {})), None)
        self.seen.append((time.time(), pod["metadata"]["namespace"], pod["metadata"]["name"],
                          any(c["type"] == "Ready" and c["status"] == "True" for c in status.get("conditions", [])),
                          {c["name"]: c["ready"] for c in statuses}, rfc3339(started) if started else None))

    def of(self, ns):
        return [s for s in self.seen if s[1] == ns]

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def stack(kube, webhook, real_node):
    """A coordinator (policies from ClusterCanaryPolicies), and the webhook
    restarted so that it watches them."""
    replicas = Coordinators(webhook.state.parent, "")
    replicas._script("setup")
    webhook.stop()
    webhook.start()
    replicas.start("real")
    yield kube, real_node.name, webhook.state.parent / "coordinator" / "real.log"
    replicas.stop("real")


@pytest.fixture(scope="module")
def shim_rollouts(stack):
    """Every scenario under both modes, started together: {(scenario, mode): namespace}."""
    kube, node, _ = stack
    policies = {mode: unique(f"real-{mode.lower()}") for mode in MODES}
    for mode, name in policies.items():
        kube.apply(policy(name, SHIM_POLICY.format(mode=mode)))
    pods = CanaryPods(kube)
    namespaces = {(scenario, mode): namespace_with_policy(kube, f"{scenario}-{mode.lower()}", policies[mode])
                  for scenario in SCENARIOS for mode in MODES}
    try:
        for ns in namespaces.values():
            kube.apply(app(ns, node, "v1", 1))
        for ns in namespaces.values():
            kube.run("rollout", "status", "deployment/web", "-n", ns, "--timeout=120s", timeout=130)
        for (scenario, mode), ns in namespaces.items():
            kube.apply(app(ns, node, "v2", 1, **SCENARIOS[scenario]))
        yield kube, namespaces, pods
    finally:
        pods.stop()
        for ns in namespaces.values():
            kube.run("delete", "namespace", ns, "--wait=false", check=False)
        for name in policies.values():
            kube.run("delete", "clustercanarypolicy", name, check=False)


def outcome(kube, ns, phase):
    """The Canary once in `phase`, and why it ended (the failed step's message,
    if one failed); the Deployment's Events say the same."""
    status = wait_phase(kube, ns, "web", phase, timeout=150)
    failed = [s["message"] for s in status.get("steps", []) if s.get("result") == "Failed"]
    reason = failed[-1] if failed else ""
    events = {(e["reason"], e["message"]) for e in kube.get("events", namespace=ns)["items"]
              if e["involvedObject"]["name"] == "web" and e["involvedObject"]["kind"] == "Deployment"}
    if phase == "Failed":
        assert any(r == "CanaryAborted" and m.endswith(f"aborted: {reason}") for r, m in events), events
    else:
        assert "Promoted" in {r for r, _ in events} and "CanaryAborted" not in {r for r, _ in events}, events
    return status, reason


def live_env(kube, ns):
    return {e["name"]: e.get("value") for e in
            kube.get("deployment", "web", ns)["spec"]["template"]["spec"]["containers"][0]["env"]}


def only_v1_serves(kube, ns):
    url = service_url(kube, ns)
    wait_serving(kube, ns, url)
    seen = [answer(url) for _ in range(20)]
    assert all(status == 200 and version == "v1" for status, version, _ in seen), seen
    assert live_env(kube, ns)["APP_VERSION"] == "v1"


def report(scenario, mode, status, reason, history):
    readiness = sorted({(ready, tuple(sorted(containers.items()))) for _, _, _, ready, containers, _ in history})
    print(f"\n{scenario:11} shimInjection={mode:11} → {status['phase']}"
          f"{': ' + reason if reason else ''}\n{'':11} canary pod states seen (pod Ready, containers ready): "
          f"{readiness}")


def test_a_v2_not_listening_on_its_port_is_held_by_the_shim_and_promoted_without_it(shim_rollouts):
    kube, namespaces, pods = shim_rollouts
    ns = namespaces["wrong-port", "whenNoProbe"]
    status, reason = outcome(kube, ns, "Failed")
    history = pods.of(ns)
    report("wrong-port", "whenNoProbe", status, reason, history)
    assert reason.startswith("pod-health: canary pod web-canary-") and "not Ready for" in reason, reason
    # The kubelet alone calls the app container ready (it has no probe); the
    # shim's probe, a connect to the declared port, keeps the pod NotReady.
    assert any(containers == {"autocanary-shim": False, "app": True} and not ready
               for _, _, _, ready, containers, _ in history), history
    assert not any(ready for _, _, _, ready, _, _ in history), "never Ready, never in the Service"
    only_v1_serves(kube, ns)

    ns = namespaces["wrong-port", "never"]
    status, reason = outcome(kube, ns, "Succeeded")
    history = pods.of(ns)
    report("wrong-port", "never", status, reason, history)
    assert any(ready and containers == {"app": True} for _, _, _, ready, containers, _ in history), history
    assert live_env(kube, ns)["APP_LISTEN_PORT"] == "8081", "the broken v2 was promoted"
    kube.run("rollout", "status", "deployment/web", "-n", ns, "--timeout=90s", timeout=100)
    url = service_url(kube, ns)
    wait_for(lambda: all(answer(url)[0] is None for _ in range(10)),
             f"{ns}: the Service answering nothing (every endpoint is a promoted v2)", timeout=60)


def test_a_crash_looping_v2_aborts_with_or_without_the_shim(shim_rollouts):
    kube, namespaces, pods = shim_rollouts
    for mode in MODES:
        ns = namespaces["crash", mode]
        status, reason = outcome(kube, ns, "Failed")
        report("crash", mode, status, reason, pods.of(ns))
        # Restarts are the kubelet's own facts: the shim changes nothing here.
        assert reason.startswith("pod-health: canary "), reason
        assert "restarted" in reason or "crash-looping" in reason, reason
        only_v1_serves(kube, ns)


def test_a_slow_starting_v2_is_promoted_once_it_listens_or_at_once_without_the_shim(shim_rollouts):
    kube, namespaces, pods = shim_rollouts
    for mode in MODES:
        ns = namespaces["slow", mode]
        status, reason = outcome(kube, ns, "Succeeded")
        history = pods.of(ns)
        report("slow", mode, status, reason, history)
        first_ready = min((s for s in history if s[3]), key=lambda s: s[0])
        seen_at, started = first_ready[0], first_ready[5]
        print(f"{'':11} first seen Ready {seen_at - started:.1f}s after the app container started "
              f"(it listens after {SLOW}s)")
        # startedAt is in whole seconds, rounded down: the app listens at startedAt + SLOW at the earliest.
        if mode == "whenNoProbe":
            assert seen_at >= started + SLOW, "the shim answered Ready only once the app listened"
        else:
            assert seen_at < started + SLOW, "the kubelet alone: Ready while the port still refused connections"
        kube.run("rollout", "status", "deployment/web", "-n", ns, "--timeout=90s", timeout=100)
        url = service_url(kube, ns)
        wait_serving(kube, ns, url)
        assert {answer(url)[1] for _ in range(10)} == {"v2"}


def test_an_app_whose_ready_endpoint_fails_is_ready_to_a_port_probe(shim_rollouts):
    """APP_NEVER_READY only makes /ready answer 503. An app without a
    readinessProbe never said /ready is its readiness: the shim probes its
    declared port, which accepts, so this v2 is promoted under either mode."""
    kube, namespaces, pods = shim_rollouts
    for mode in MODES:
        ns = namespaces["never-ready", mode]
        status, reason = outcome(kube, ns, "Succeeded")
        report("never-ready", mode, status, reason, pods.of(ns))
        kube.run("rollout", "status", "deployment/web", "-n", ns, "--timeout=90s", timeout=100)
        wait_serving(kube, ns, service_url(kube, ns))
        assert answer(service_url(kube, ns))[:2] == (200, "v2")
        assert get(service_url(kube, ns, "/ready"))[0] == 503


# ---- pod ratio with real requests -------------------------------------------------

N = 200  # requests counted at each step
GATE_POLICY = """  steps: [{{setWeight: 25}}, {{pause: {{}}}}, {{setWeight: 50}}, {{pause: {{}}}},
          {{analysis: {{names: [gate]}}}}, {{setWeight: 100}}]
  analyses:
    - name: gate
      provider: http
      http: {{url: "{url}", timeout: 2s, retries: 1}}
      interval: 1s
      count: 1
      failureLimit: 0
"""


def bound(p, n):
    """How far the canary's observed share of n requests may be from
    actualWeight/100. kube-proxy (nftables) picks one of the Service's ready
    endpoints uniformly at random for each new connection, so with c canary pods
    of t the count is Binomial(n, c/t): 4.5 standard deviations leave a chance
    of about 7·10⁻⁶ per check of failing by bad luck (normal approximation; at
    n = 200 and p ≥ 0.2 the skew is small). actualWeight is c/t rounded to a
    whole percent, off by at most 0.005."""
    return 4.5 * math.sqrt(p * (1 - p) / n) + 0.005


def count_shares(kube, ns, canary_version, label, shares):
    """N answers through the Service at this step; the canary's observed
    share is checked against status.actualWeight and added to `shares`. A
    request that gets no answer at all (which pod it went to is unknown) is
    sent again and counted apart."""
    url = service_url(kube, ns)
    pods = wait_serving(kube, ns, url)
    status = canary_status(kube, ns, "web")
    seen, unanswered = [], []
    while len(seen) < N:
        code, body = get(url)
        if code is None:
            unanswered.append(body)
            assert len(unanswered) <= N // 10, f"{label}: {len(unanswered)} requests unanswered: {unanswered}"
            continue
        seen.append((code, *version_and_host(body)))
    assert all(code == 200 and host in pods for code, _, host in seen), \
        [a for a in seen if a[0] != 200 or a[2] not in pods]
    canary_pods = sum(1 for version in pods.values() if version == canary_version)
    observed = sum(1 for _, version, _ in seen if version == canary_version) / N
    # While a step waits for approval the weight is the Canary's; before a rollout or after its end, none.
    weight = status.get("actualWeight", 0) if status.get("phase") == "WaitingForApproval" else None
    expected = canary_pods / len(pods) if weight is None else weight / 100
    shares.append(f"{label:22} canary pods {canary_pods}/{len(pods)}  actualWeight "
                  f"{'-' if weight is None else weight:>3}%  observed {observed:6.1%} of {N}  "
                  f"(bound ±{bound(expected, N):.1%})"
                  f"{f'; {len(unanswered)} unanswered ({sorted(set(unanswered))}), sent again' if unanswered else ''}")
    if weight is not None:
        assert weight == round(100 * canary_pods / len(pods)), (status, pods)
    assert abs(observed - expected) <= bound(expected, N), shares[-1]


def waiting_at(kube, ns, step):
    return wait_for(lambda: (s := canary_status(kube, ns, "web")).get("phase") == "WaitingForApproval"
                    and s.get("currentStep") == step and s, f"{ns}: waiting for approval at step {step}",
                    timeout=120)


def approve(kube, ns, token):
    kube.run("patch", "canaries.autocanary.io", "web", "-n", ns, "--type=merge", "-p",
             json.dumps({"spec": {"promote": token}}))


@pytest.fixture
def gated(stack):
    """A namespace whose policy walks 25% → approval → 50% → approval → a gate → 100%,
    with v1 on 3 pods behind the Service; yields (kube, node, ns, gate, the coordinator's log)."""
    kube, node, log = stack
    gate = Gate()
    name = unique("real-traffic")
    kube.apply(policy(name, GATE_POLICY.format(url=gate.url)))
    ns = namespace_with_policy(kube, "traffic", name)
    try:
        kube.apply(app(ns, node, "v1", 3))
        kube.run("rollout", "status", "deployment/web", "-n", ns, "--timeout=120s", timeout=130)
        yield kube, node, ns, gate, log
    finally:
        gate.close()
        kube.run("delete", "namespace", ns, "--wait=false", check=False)
        kube.run("delete", "clustercanarypolicy", name, check=False)


def test_pod_ratio_shares_of_real_requests_follow_the_actual_weight(gated):
    kube, node, ns, gate, _ = gated
    shares = []
    count_shares(kube, ns, "v2", "v1 only", shares)
    kube.apply(app(ns, node, "v2", 3))
    waiting_at(kube, ns, 1)
    count_shares(kube, ns, "v2", "setWeight 25", shares)
    approve(kube, ns, "at-25")
    waiting_at(kube, ns, 3)
    count_shares(kube, ns, "v2", "setWeight 50", shares)
    approve(kube, ns, "at-50")
    wait_phase(kube, ns, "web", "Succeeded", timeout=120)
    kube.run("rollout", "status", "deployment/web", "-n", ns, "--timeout=90s", timeout=100)
    count_shares(kube, ns, "v2", "promoted", shares)
    print("\npod ratio through the ClusterIP:\n" + "\n".join(shares))
    assert gate.received, "the gate was asked before the promotion"


class Poller(pollers.Poller):
    """Requests through the Service one after another, each on its own
    connection, from 4 threads so that one waiting out a connect to a pod that
    is gone (1 s) leaves the others sampling: (host time sent, host time
    answered, version or None, why none)."""

    def __init__(self, url, threads=4):
        self.url = url
        super().__init__([self._ask] * threads)

    def _ask(self):
        status, body = get(self.url, timeout=1)
        return version_and_host(body)[0], None if status else body


class ProxiedEndpoints:
    """How many endpoints kube-proxy's nftables rules balance the Service
    `web` of `ns` over (its service chain's `numgen random mod N`), read with
    nft every ~10 ms on a thread: (host time halfway through the read, N or None)."""

    def __init__(self, ns):
        self.chain = re.compile(r"chain service-\w+-" + re.escape(ns) + r"/web/tcp/\S* \{(.*?)\n\t\}", re.S)
        self.counts = []
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while self.running:
            started = time.time()
            listed = subprocess.run(["nft", "list", "table", "ip", "kube-proxy"], capture_output=True, text=True)
            chain = self.chain.search(listed.stdout)
            mod = chain and re.search(r"numgen random mod (\d+)", chain.group(1))
            self.counts.append(((started + time.time()) / 2, int(mod.group(1)) if mod else None))
            time.sleep(0.01)

    def interval(self):
        """The median time between two reads: the resolution."""
        times = [t for t, _ in self.counts]
        return statistics.median(b - a for a, b in zip(times, times[1:]))

    def first(self, after, accept):
        """When the rules first balanced over a count that `accept`s after `after`."""
        return next((t for t, count in self.counts if t > after and count is not None and accept(count)), None)

    def stop(self):
        self.running = False
        self.thread.join(timeout=10)


def weight_zero_logged(log, ns, after):
    """When the coordinator's log says it set the canary's weight to 0, at `after` or later."""
    for line in log.read_text().splitlines():
        entry = json.loads(line) if line.startswith("{") else {}
        if (entry.get("msg") == "canary weight set" and entry.get("deployment") == f"{ns}/web"
                and entry.get("weight") == 0 and rfc3339(entry["ts"]) >= after):
            return rfc3339(entry["ts"])
    return None


def abort_under_traffic(kube, node, ns, version, shares, log):
    """Rolls `version` to its 50% step, then lets the failing gate abort it
    while a poller sends requests through the Service; returns the ms from the
    failing measurement until the coordinator logged weight 0, until the last
    answer from the canary, until kube-proxy's rules first lost an endpoint and
    until they lost the canary's last, and until the last request sent that got
    no answer (None if every one got one)."""
    kube.apply(app(ns, node, version, 3))
    waiting_at(kube, ns, 1)
    count_shares(kube, ns, version, f"{version} setWeight 25", shares)
    approve(kube, ns, f"{version}-at-25")
    waiting_at(kube, ns, 3)
    count_shares(kube, ns, version, f"{version} setWeight 50", shares)
    poller, proxied = Poller(service_url(kube, ns)), ProxiedEndpoints(ns)
    try:
        approve(kube, ns, f"{version}-at-50")
        status = wait_phase(kube, ns, "web", "Failed", timeout=60)
        wait_for(lambda: not kube.get("pods", namespace=ns, selector="autocanary.io/track=canary")["items"],
                 f"{ns}: the canary's pods gone", timeout=60)
        gone_at = time.time()
        wait_for(lambda: poller.recent(40) == ["v1"] * 40, f"{ns}: the Service answering from v1 alone", timeout=30)
    finally:
        poller.stop()
        proxied.stop()
    failed = [m for m in status["measurements"] if m["analysis"] == "gate" and m["outcome"] == "Failed"]
    assert failed, status["measurements"]
    failed_at = rfc3339(failed[-1]["measuredAt"])
    canary = [answered for _, answered, v, _ in poller.answers if v == version]
    after = [v for sent, _, v, _ in poller.answers if sent > failed_at]
    assert canary and after, "the canary served before the failure, and the poller ran after it"
    last = max(canary)
    late = {v for sent, _, v, _ in poller.answers if sent > gone_at}
    assert version not in late, "no answer from the canary once its pods are gone"
    unanswered = [(sent, why) for sent, _, v, why in poller.answers if sent > failed_at and v is None]
    ms = (last - failed_at) * 1000
    weight_zero = weight_zero_logged(log, ns, failed_at)
    assert weight_zero, f"the coordinator logged no weight 0 for {ns}"
    weight_ms = (weight_zero - failed_at) * 1000
    fewer = proxied.first(failed_at, lambda n: n < 6)
    stable_only = proxied.first(failed_at, lambda n: n == 3)
    assert fewer and stable_only, f"kube-proxy's rules never balanced over the 3 stable pods alone: {proxied.counts}"
    fewer_ms, proxied_ms = (fewer - failed_at) * 1000, (stable_only - failed_at) * 1000
    unanswered_ms = (unanswered[-1][0] - failed_at) * 1000 if unanswered else None
    kinds = sorted({why for _, why in unanswered})
    late_errors = unanswered and f" {kinds}, the last sent {unanswered_ms:.0f} ms after it"
    print(f"\n{version}: gate failed at {failed[-1]['measuredAt']}; weight 0 logged {weight_ms:.0f} ms later; "
          f"last canary answer {ms:.0f} ms later; kube-proxy's rules with fewer endpoints {fewer_ms:.0f} ms, "
          f"without the canary {proxied_ms:.0f} ms later (read every {proxied.interval() * 1000:.0f} ms); "
          f"{len(after)} requests after the failure, "
          f"{len(unanswered)} unanswered{late_errors or ''}; "
          f"{len(poller.answers) / (poller.answers[-1][1] - poller.answers[0][0]):.0f} requests/s")
    return weight_ms, ms, fewer_ms, proxied_ms, unanswered_ms


def test_after_an_abort_no_request_reaches_the_canary(gated):
    """The gate fails the canary at 50%: traffic to it stops, and only v1
    answers. REAL_TRAFFIC_ABORTS=n repeats it with n revisions (the milliseconds
    go to REAL_TRAFFIC_OUT: bench/real_traffic.sh)."""
    kube, node, ns, gate, log = gated
    gate.status = 500
    shares, times = [], []
    for run in range(int(os.environ.get("REAL_TRAFFIC_ABORTS", "1"))):
        times.append(abort_under_traffic(kube, node, ns, f"v{run + 2}", shares, log))
        reason = [s["message"] for s in canary_status(kube, ns, "web")["steps"] if s.get("result") == "Failed"]
        assert reason and reason[-1].startswith("gate: 1 failed measurement (0 tolerated)"), reason
        count_shares(kube, ns, f"v{run + 2}", f"v{run + 2} after the abort", shares)
    print("\n" + "\n".join(shares))
    print(f"failing check → last canary answer (ms): {', '.join(f'{run[1]:.0f}' for run in times)}")
    if os.environ.get("REAL_TRAFFIC_OUT"):  # per run, ms from the failing check to: weight 0 logged, the last
        with open(os.environ["REAL_TRAFFIC_OUT"], "a") as out:  # canary answer, rules with fewer endpoints,
            for run in times:  # rules without the canary's, the last unanswered request
                out.write(" ".join("-" if ms is None else f"{ms:.1f}" for ms in run) + "\n")


DRAIN_POLICY = """  shimInjection: whenNoProbe
  steps: [{setWeight: 50}, {analysis: {names: [pod-health]}}, {pause: {}}, {setWeight: 100}]
  podHealth: {readyDeadline: 60s, maxReadinessFlaps: 0}
"""


def test_an_evicted_canary_pod_is_no_readiness_flap(stack):
    """What `kubectl drain` does to each pod: an eviction. The kubelet reports
    the leaving canary pod not Ready before it goes; under a policy that
    tolerates no readiness flap, that must not abort a healthy canary."""
    kube, node, _ = stack
    name = unique("real-drain")
    kube.apply(policy(name, DRAIN_POLICY))
    ns = namespace_with_policy(kube, "real-drain", name)
    pods = CanaryPods(kube)
    try:
        kube.apply(app(ns, node, "v1", 2))
        kube.run("rollout", "status", "deployment/web", "-n", ns, "--timeout=120s", timeout=130)
        kube.apply(app(ns, node, "v2", 2))
        wait_phase(kube, ns, "web", "WaitingForApproval", timeout=150)
        canaries = lambda: [p for p in kube.get("pods", namespace=ns, selector="autocanary.io/track=canary")["items"]]
        evicted = canaries()[0]["metadata"]["name"]
        kube.run("create", "--raw", f"/api/v1/namespaces/{ns}/pods/{evicted}/eviction", "-f", "-",
                 stdin=json.dumps({"apiVersion": "policy/v1", "kind": "Eviction",
                                   "metadata": {"name": evicted, "namespace": ns}}))
        replaced = lambda: (evicted not in {p["metadata"]["name"] for p in canaries()} and
                            kube.get("deployment", "web-canary", ns)["status"].get("availableReplicas", 0) == 2)
        wait_for(replaced, "the evicted canary pod replaced and available", timeout=90)
        states = [ready for _, _, pod, ready, _, _ in pods.of(ns) if pod == evicted]
        assert True in states and states[-1] is False, \
            f"the kubelet never reported the leaving pod not Ready, so nothing was shown: {states}"
        status = canary_status(kube, ns, "web")
        assert status["phase"] == "WaitingForApproval", status.get("message")
        assert not [h for h in status.get("history", []) if h.get("outcome") == "Failed"], status["history"]
    finally:
        pods.stop()
        kube.run("delete", "namespace", ns, "--wait=false", check=False)
        kube.run("delete", "clustercanarypolicy", name, check=False)

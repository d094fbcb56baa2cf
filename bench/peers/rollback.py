"""Rollback side by side: a failing Prometheus metric → weight 0 in the
Gateway API HTTPRoute, autocanary vs Flagger (provider gatewayapi:v1), on one
control plane in one run. Driven by bench/peers/run.sh rollback.

One exporter (tests/e2e/analysis_servers.Exporter) serves both canaries'
http_requests_total; one Prometheus (Debian's, scraping it every second)
answers both controllers' queries, the same PromQL error ratio over [5s], the
same threshold (≤ 1 % errors). traefik (tests/e2e/gateway_traefik.Traefik)
implements the Gateway API on the host, so both routes are programmed by a real
implementation. With kwok's pods (no data plane) the time is to the weight in
the route object, seen on a watch. With --real-node (run.sh under REAL_NODE=1)
the apps are the test app's real pods on the local cluster's real node, each
with the same readinessProbe (so no shim is injected: shimInjection
whenNoProbe), answering with their APP_VERSION; a client per app
(tests/e2e/gateway_traefik.Poller, two keep-alive connections, no pause) sends
requests through traefik for its route's hostname, and the time is also to
the last answer of the canary at the client.

- autocanary: namespace `ours`, the user's HTTPRoute to Service web; the policy
  (POLICY below, trafficBackend gatewayAPI, which takes the user's route) shifts
  to 50 %, then measures every second; abort at the first failing measurement.
- Flagger: namespace `flagger`, a Canary with provider gatewayapi:v1 (Flagger
  makes its own HTTPRoute `web`), analysis interval 10s — the shortest Flagger
  allows (GetAnalysisInterval raises anything shorter to 10 s) — threshold 1
  (its default: roll back at the first failed check), maxWeight = stepWeight =
  50, and a confirm-promotion webhook that answers 403 so that it holds at 50 %
  and keeps analysing (as Flagger documents for a withheld promotion).

Each run: both canaries at 50 % with a passing metric (and Flagger's first
check passed); watches open on both routes; T0 is the moment the exporter's
error ratio of both canaries goes from 0.1 % to 50 %, 3–13 s (uniformly at
random) after both were seen holding at 50 %; T1 the first route version on
each watch whose canary backendRefs carry weight 0; with real pods, T1' the
arrival of the last answer from the canary's version at that app's client
(after which every answer is stable's), and the last request answered by the
canary or not at all.
"""

import json
import random
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import ROOT, Flagger, arguments, kubectl, load  # noqa: E402
from kubeapi import Api, deployment, percentile, wait_for  # noqa: E402

sys.path.insert(0, str(ROOT / "tests/e2e"))
from analysis_servers import Exporter, Gate, Prometheus  # noqa: E402
from gateway_traefik import Poller, Traefik  # noqa: E402
from pollers import last_answer, last_not_from, unanswered  # noqa: E402

OURS, THEIRS = "peers-rb-ours", "peers-rb-flagger"
# A hostname per app: both Gateways listen on traefik's one entry point.
HOSTS = {OURS: "ours.example.test", THEIRS: "flagger.example.test"}
TEST_APP = "autocanary-test-app:dev"  # scripts/images.sh
STABLE = "v1"
# The same error ratio for both; {CANARY} is each one's canary workload as the
# exporter labels it, {NS} its namespace.
RATIO = ('sum(rate(http_requests_total{namespace="NS",deployment="CANARY",code=~"5.."}[5s]))'
         ' / sum(rate(http_requests_total{namespace="NS",deployment="CANARY"}[5s]))')
HEALTHY, FAILING = 0.001, 0.5

# gatewayAPI, not auto: the local cluster serves Istio's and SMI's CRDs too
# (tests/cluster/up.sh installs shared/crds), and auto prefers those.
POLICY = """trafficBackend: gatewayAPI
abortScaleDownDelay: 0s
steps: [{{setWeight: 50}}, {{analysis: {{names: [error-rate]}}}}, {{setWeight: 100}}]
analyses:
  - name: error-rate
    prometheus:
      address: {address}
      query: '{query}'
      timeout: 2s
    successCondition: {{max: 0.01}}
    interval: 1s
    count: 3600
    inconclusiveLimit: 10
"""


USER_ROUTE = """apiVersion: v1
kind: Service
metadata: {{name: web, namespace: {ns}}}
spec:
  selector: {{app: web}}
  ports: [{{port: 80, targetPort: 8080}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: shop, namespace: {ns}}}
spec:
  parentRefs: [{{name: public, sectionName: http}}]
  hostnames: [{host}]
  rules:
    - backendRefs: [{{name: web, port: 80}}]
"""

FLAGGER = """apiVersion: flagger.app/v1beta1
kind: MetricTemplate
metadata: {{name: error-rate, namespace: {ns}}}
spec:
  provider: {{type: prometheus, address: "{address}"}}
  query: '{query}'
---
apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {{name: web, namespace: {ns}}}
spec:
  provider: gatewayapi:v1
  targetRef: {{apiVersion: apps/v1, kind: Deployment, name: web}}
  progressDeadlineSeconds: 120
  service:
    port: 80
    targetPort: 8080
    hosts: [{host}]
    gatewayRefs: [{{name: public, namespace: {ns}, sectionName: http}}]
  analysis:
    interval: 10s
    threshold: 1
    maxWeight: 50
    stepWeight: 50
    metrics:
      - name: error-rate
        templateRef: {{name: error-rate}}
        thresholdRange: {{max: 0.01}}
        interval: 5s
    webhooks:
      - {{name: hold-at-50, type: confirm-promotion, url: "{gate}"}}
"""


def app(ns, node):
    """The app, 2 replicas, as bench/kubeapi.py makes a Deployment: on kwok's
    nodes, or with `node` the test app pinned to the real node (its label and
    taint), answering "version=APP_VERSION", Ready once /ready answers."""
    if not node:
        return json.dumps(deployment("web", ns, "registry.example.com/shop/web:1", 2))
    obj = deployment("web", ns, TEST_APP, 2)
    pod = obj["spec"]["template"]["spec"]
    pod.update({"nodeSelector": {"kubernetes.io/hostname": node}, "terminationGracePeriodSeconds": 5,
                "tolerations": [{"key": "autocanary.io/real-node", "operator": "Exists", "effect": "NoSchedule"}]})
    pod["containers"][0].update({"imagePullPolicy": "Never", "env": [{"name": "APP_VERSION", "value": STABLE}],
                                 "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": 1}})
    return json.dumps(obj)


class KubeRef:
    """What gateway_traefik.Traefik needs of the e2e tests' Kube: the kubeconfig."""

    def __init__(self, kubeconfig):
        self.kubeconfig = kubeconfig


def canary_weight(route):
    """Weight of the canary backendRefs (names ending -canary), None without any."""
    weights = [ref.get("weight", 1) for rule in route.get("spec", {}).get("rules", [])
               for ref in rule.get("backendRefs", []) if ref["name"].endswith("-canary")]
    return sum(weights) if weights else None


class RouteWatch:
    """A watch on one HTTPRoute on its own thread; `zero_at` is the arrival
    (monotonic ns) of the first version whose canary weight is 0 or whose
    canary backendRefs are gone."""

    def __init__(self, api, ns, name, timeout):
        path = f"/apis/gateway.networking.k8s.io/v1/namespaces/{ns}/httproutes"
        current = api.get(f"{path}/{name}")
        self.zero_at = None
        self.watch = api.open_watch(path, {"fieldSelector": f"metadata.name={name}",
                                           "resourceVersion": current["metadata"]["resourceVersion"]},
                                    timeout_seconds=int(timeout))
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        for arrived, event in self.watch.events():
            if event.get("type") in ("ADDED", "MODIFIED") and not canary_weight(event["object"]):
                self.zero_at = arrived
                return

    def close(self):
        self.watch.close()


def main():
    parser = arguments(__doc__, 180)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20, help="of the random waits before each failure")
    parser.add_argument("--real-node", default="", help="the real node's name: real pods, clients through traefik")
    args = parser.parse_args()

    kubeconfig = str(Path(args.run_dir) / "kubeconfig")
    api = Api(kubeconfig)
    work = Path(args.work)
    exporter, gate = Exporter(), Gate()
    gate.status = 403
    prometheus = Prometheus(work, exporter.port)
    traefik = Traefik(KubeRef(kubeconfig), args.run_dir)
    stopping = []
    try:
        prometheus.start()
        stopping.append(prometheus.stop)
        traefik.start()
        stopping.append(traefik.stop)
        traefik.wait_listening()
        Flagger.install(kubeconfig)
        flagger = Flagger(args.run_dir, kubeconfig, "gatewayapi:v1", prometheus.address)
        flagger.start()
        stopping.append(flagger.stop)
        policy = work / "rollback-policy.yaml"
        policy.write_text(POLICY.format(address=prometheus.address,
                                        query=RATIO.replace("CANARY", "{{canary}}").replace("NS", "{{namespace}}")))
        from coordinator_memory import Coordinator  # noqa: E402 (bench/ is on the path through peers)
        coordinator = Coordinator(args.run_dir, "peers", str(policy), ["--log-level", "info"])
        coordinator.start()
        stopping.append(coordinator.stop)
        rows = run(api, kubeconfig, exporter, prometheus, traefik, flagger, gate, args)
    finally:
        for stop in reversed(stopping):
            try:
                stop()
            except Exception as error:  # noqa: BLE001 (keep stopping the rest)
                print(f"stopping: {error}", file=sys.stderr)
        gate.close()
        exporter.close()
    report(rows, args)


def healthy(prometheus, ns, deployment):
    result = prometheus.query(RATIO.replace("NS", ns).replace("CANARY", deployment))
    return bool(result) and float(result[0]["value"][1]) < 0.01


def route_of(api, ns, name):
    return api.get(f"/apis/gateway.networking.k8s.io/v1/namespaces/{ns}/httproutes/{name}", missing_ok=True)


def run(api, kubeconfig, exporter, prometheus, traefik, flagger, gate, args):
    for ns, labels in ((OURS, {"autocanary.io/enabled": "true"}), (THEIRS, {})):
        api.create("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                          "metadata": {"name": ns, "labels": labels}})
        kubectl(kubeconfig, "apply", "-f", "-", stdin=traefik.gateway(ns))
    kubectl(kubeconfig, "apply", "-f", "-", stdin=app(OURS, args.real_node) + "\n---\n" +
            USER_ROUTE.format(ns=OURS, host=HOSTS[OURS]))
    kubectl(kubeconfig, "apply", "-f", "-", stdin=app(THEIRS, args.real_node) + "\n---\n" +
            FLAGGER.format(ns=THEIRS, host=HOSTS[THEIRS], address=prometheus.address, gate=gate.url,
                           query=RATIO.replace("CANARY", "{{ target }}").replace("NS", "{{ namespace }}")))
    # The canaries' workloads as the exporter labels them: ours runs web-canary,
    # Flagger's canary is the target Deployment itself (web; web-primary is stable).
    series = ((OURS, "web-canary"), (THEIRS, "web"))
    for ns, deployment in series:
        exporter.set_ratio(ns, deployment, HEALTHY)
    wait_for(lambda: all(prometheus.query(f'sum(rate(http_requests_total{{namespace="{ns}"}}[5s]))')
                         for ns, _ in series), "Prometheus rates for both canaries", timeout=60)

    def flagger_status():
        return api.get(f"/apis/flagger.app/v1beta1/namespaces/{THEIRS}/canaries/web").get("status", {})

    wait_for(lambda: flagger.check_alive() and flagger_status().get("phase") == "Initialized",
             "Flagger's Canary Initialized", timeout=args.timeout, interval=1)
    wait_for(lambda: route_of(api, THEIRS, "web"), "Flagger's HTTPRoute", timeout=args.timeout)

    rows = []
    phase = random.Random(args.seed)
    for run_index in range(args.runs):
        image = f"registry.example.com/shop/web:{run_index + 2}"
        version = f"v{run_index + 2}"  # the canary's answers (real pods); stable stays v1
        for ns, deployment in series:
            exporter.set_ratio(ns, deployment, HEALTHY)
        # The last run's errors out of the [5s] window before a new canary is measured.
        wait_for(lambda: all(healthy(prometheus, ns, deployment) for ns, deployment in series),
                 "Prometheus to read both canaries healthy", timeout=60, interval=0.5)
        # A new revision: a new image on kwok, a new APP_VERSION of the test app on the real node.
        container = ({"name": "app", "env": [{"name": "APP_VERSION", "value": version}]} if args.real_node
                     else {"name": "app", "image": image})
        for ns in (OURS, THEIRS):
            api.patch(f"/apis/apps/v1/namespaces/{ns}/deployments/web",
                      {"spec": {"template": {"spec": {"containers": [container]}}}}, kind="strategic")

        def both_at_50():
            flagger.check_alive()
            ours = route_of(api, OURS, "shop")
            theirs = route_of(api, THEIRS, "web")
            status = flagger_status()
            # Flagger at its maxWeight (its route says 50; its status's canaryWeight
            # reads 0 while it waits), waiting for the promotion it will not get, so
            # its metric checks run every interval from here on.
            flagger_holding = status.get("phase") == "WaitingPromotion"
            return (ours and canary_weight(ours) == 50 and theirs and canary_weight(theirs) == 50
                    and flagger_holding)
        try:
            wait_for(both_at_50, f"run {run_index + 1}: both canaries at 50 % ({version})", timeout=args.timeout,
                     interval=0.5)
        except TimeoutError:
            ours = api.get(f"/apis/autocanary.io/v1alpha1/namespaces/{OURS}/canaries/web", missing_ok=True)
            print(f"autocanary's route: {route_of(api, OURS, 'shop')}\nits Canary: {ours}\n"
                  f"Flagger's route: {route_of(api, THEIRS, 'web')}\nits status: {flagger_status()}", file=sys.stderr)
            raise
        clients = {}
        if args.real_node:
            clients = {"autocanary": Poller(traefik.port, host=HOSTS[OURS]),
                       "Flagger": Poller(traefik.port, host=HOSTS[THEIRS])}
        try:
            for side, client in clients.items():
                wait_for(lambda: version in client.recent(40) and STABLE in client.recent(40),
                         f"run {run_index + 1}: {side}'s client answered by {STABLE} and {version}", timeout=60)
            # Both have measured the healthy ratio at least once (3 s); then a random
            # further wait, so that the failure lands at a uniformly random point of
            # Flagger's 10 s analysis cycle (we reach this line just after one of its
            # runs: without it every run would fail at the same phase).
            time.sleep(3 + phase.uniform(0, 10))

            watches = {"autocanary": RouteWatch(api, OURS, "shop", args.timeout),
                       "Flagger": RouteWatch(api, THEIRS, "web", args.timeout)}
            started, started_wall, load_at = time.monotonic_ns(), time.time(), load()
            for ns, deployment in series:
                exporter.set_ratio(ns, deployment, FAILING)
            try:
                wait_for(lambda: all(w.zero_at for w in watches.values()), f"run {run_index + 1}: both at weight 0",
                         timeout=args.timeout, interval=0.05)
            finally:
                for watch in watches.values():
                    watch.close()
            for side, client in clients.items():
                wait_for(lambda: client.recent(40) == [STABLE] * 40, f"run {run_index + 1}: {side}'s client "
                         f"answered by {STABLE} alone", timeout=args.timeout)
        finally:
            for client in clients.values():
                client.stop()
        row = {side: (w.zero_at - started) / 1e6 for side, w in watches.items()}
        row["load"] = load_at
        for side, client in clients.items():
            row[f"{side} client"] = (last_answer(client, version) - started_wall) * 1000
            row[f"{side} not stable"] = (last_not_from(client, STABLE, started_wall) - started_wall) * 1000
            row[f"{side} unanswered"], detail = unanswered(client, started_wall)
            if detail:
                print(f"run {run_index + 1}: {side}: {row[f'{side} unanswered']} unanswered{detail}")
        rows.append(row)
        print(f"run {run_index + 1}: failing metric → weight 0 in the route: autocanary {row['autocanary']:.0f} ms, "
              f"Flagger {row['Flagger']:.0f} ms (load {load_at:.1f})" + "".join(
                  f"; → last canary answer at {side}'s client {row[f'{side} client']:.0f} ms" for side in clients),
              flush=True)
        # Both sides finish their rollback before the next revision.
        wait_for(lambda: flagger_status().get("phase") == "Failed", "Flagger's Canary Failed", timeout=args.timeout)
        wait_for(lambda: not api.get(f"/api/v1/namespaces/{OURS}/pods?labelSelector=autocanary.io%2Ftrack%3Dcanary")[
            "items"], "our canary's pods gone", timeout=args.timeout)
    return rows


def report(rows, args):
    if not rows:
        return
    columns = [("", "failing Prometheus metric → canary weight 0 in the HTTPRoute (seen on a watch)")]
    if args.real_node:
        columns += [(" client", "failing Prometheus metric → last answer from the canary at the client"),
                    (" not stable", "failing Prometheus metric → last request answered by the canary or not at all"),
                    (" unanswered", "requests unanswered after the failing metric (count)")]
    loads = sorted(r["load"] for r in rows)
    print(f"\nmachine load (1-minute average) at each failure: median {statistics.median(loads):.1f}, "
          f"{loads[0]:.1f}–{loads[-1]:.1f}")
    for suffix, title in columns:
        print()
        print(f"{title}, {len(rows)} runs" + ("" if suffix == " unanswered" else "; ms"))
        print(f"{'controller':12s} {'median':>8s} {'p90':>8s} {'min':>8s} {'max':>8s}  runs")
        medians = {}
        for side in ("autocanary", "Flagger"):
            values = sorted(r[side + suffix] for r in rows)
            medians[side] = statistics.median(values)
            print(f"{side:12s} {medians[side]:8.0f} {percentile(values, 0.9):8.0f} {values[0]:8.0f} "
                  f"{values[-1]:8.0f}  " + ", ".join(f"{r[side + suffix]:.0f}" for r in rows))
        if medians["Flagger"] and suffix != " unanswered":
            print(f"ratio of medians autocanary / Flagger = {medians['autocanary'] / medians['Flagger']:.3f}")


if __name__ == "__main__":
    main()

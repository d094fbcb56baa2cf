"""Traffic routers through a real apiserver with the upstream CRDs
(../shared/crds): for SMI (as Linkerd serves it, v1alpha1 only, v1alpha4),
Gateway API and Istio, a v1 → v2 rollout whose weights, read back from the
route objects at every step, are the policy's; a rollback that routes 0% in one
update; cleanup that leaves only the user's objects. Then auto-detection with
one routing API installed at a time."""

import copy
import json
import subprocess
import threading
import time
from pathlib import Path

import pytest
import yaml

from kube import (canary_status, delete_crds, deployment, pod_uids, running_coordinators, unique, wait_for,
                  wait_phase)
from routing_crds import CRD_FILES, CRDS, SMI_CRD, apply_files, install_all_as_upstream, install_only

ENABLED = {"autocanary.io/enabled": "true"}
V1 = "registry.example.com/shop/web:1.0.0"
V2 = "registry.example.com/shop/web:2.0.0"
V3 = "registry.example.com/shop/web:3.0.0"

# Every setWeight is followed by an approval pause, so the test reads each
# weight while it holds.
POLICY = """
steps:
  - setWeight: 10
  - pause: {}
  - setWeight: 40
  - pause: {}
  - setWeight: 100
  - pause: {}
abortScaleDownDelay: 2s
"""
WEIGHTS = [10, 40, 100]


# ---- CRDs -------------------------------------------------------------------------

def apply_docs(kube, docs):
    kube.run("apply", "--server-side", "--force-conflicts", "-f", "-",
             stdin="\n---\n".join(yaml.safe_dump(d) for d in docs), timeout=120)


def served(kube, group_version):
    return kube.run("get", "--raw", f"/apis/{group_version}", check=False).returncode == 0


def smi_crd(served_versions, storage):
    """Linkerd's TrafficSplit CRD from ../shared/crds, serving `served_versions`;
    v1alpha3/v1alpha4 take the v1alpha2 schema (integer weights)."""
    crd = yaml.safe_load((CRDS / "smi-trafficsplit.yaml").read_text())
    by_name = {v["name"]: v for v in crd["spec"]["versions"]}
    for extra in ("v1alpha3", "v1alpha4"):
        if extra in served_versions and extra not in by_name:
            version = copy.deepcopy(by_name["v1alpha2"])
            version["name"] = extra
            by_name[extra] = version
    versions = []
    for name in ("v1alpha1", "v1alpha2", "v1alpha3", "v1alpha4"):
        if name in by_name:
            version = by_name[name]
            version["served"] = name in served_versions
            version["storage"] = name == storage
            versions.append(version)
    crd["spec"]["versions"] = versions
    return crd


@pytest.fixture(scope="module")
def coordinators(kube, webhook, tmp_path_factory):
    yield from running_coordinators(webhook, tmp_path_factory, "routers", POLICY)
    # Leave the cluster as up.sh made it: every upstream CRD, as it is.
    install_all_as_upstream(kube)


# ---- a rollout ----------------------------------------------------------------------

SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: {ns}
spec:
  selector:
    app: web
  ports:
    - name: http
      port: 80
      targetPort: 8080
"""


def with_backend(manifest, backend):
    if backend is None:
        return manifest
    return manifest.replace("  labels:\n    app: web\nspec:",
                            f"  labels:\n    app: web\n  annotations:\n    autocanary.io/traffic-backend: {backend}\nspec:",
                            1)


def start(kube, prefix, backend=None, service=True):
    ns = unique(prefix)
    kube.create_namespace(ns, ENABLED)
    if service:
        kube.apply(SERVICE.format(ns=ns))
    kube.apply(with_backend(deployment("web", ns, V1, replicas=4), backend))
    kube.run("rollout", "status", "deployment/web", "-n", ns, "--timeout=90s", timeout=100)
    return ns


def apply_version(kube, ns, image, backend=None):
    kube.apply(with_backend(deployment("web", ns, image, replicas=4), backend))
    return kube.get("deployment", "web", ns)["metadata"]["annotations"]["autocanary.io/pending-revision"]


def approve(kube, ns, token):
    kube.run("patch", "canaries.autocanary.io", "web", "-n", ns, "--type=merge", "-p",
             json.dumps({"spec": {"promote": token}}))


def waiting_at(kube, ns, step):
    return wait_for(lambda: (s := canary_status(kube, ns, "web")).get("phase") == "WaitingForApproval"
                    and s.get("currentStep") == step and s,
                    f"{ns}: waiting for approval at step {step}", timeout=90)


class Router:
    """Reads what a router's objects route, straight from the apiserver."""

    def __init__(self, kube, ns, kind, api_version):
        self.kube, self.ns, self.kind, self.api_version = kube, ns, kind, api_version

    def resource(self):
        group, version = self.api_version.split("/")
        return f"{self.kind}.{version}.{group}"

    def objects(self):
        return self.kube.get(self.resource(), namespace=self.ns,
                             selector="autocanary.io/routing-for=web")["items"]

    def weight(self):
        return weight_of(self.kind, self.one())

    def one(self):
        items = self.objects()
        assert len(items) == 1, f"one {self.kind} of ours, found {[i['metadata']['name'] for i in items]}"
        return items[0]


def quantity(value):
    if isinstance(value, str):
        return float(value[:-1]) / 1000 if value.endswith("m") else float(value)
    return float(value)


def weight_of(kind, obj):
    if kind == "deployments":  # pod ratio: the weight the canary workload was sized for
        return int(obj["metadata"]["annotations"]["autocanary.io/weight"])
    if kind == "trafficsplits":
        weights = {b["service"]: quantity(b["weight"]) for b in obj["spec"]["backends"]}
        return round(100 * weights["web-canary"] / (weights["web-canary"] + weights["web-stable"]))
    if kind == "httproutes":
        refs = {r["name"]: r.get("weight", 1) for r in obj["spec"]["rules"][0]["backendRefs"]}
        if "web-canary" not in refs:
            return None  # a user's route as written: nothing of ours in it
        return round(100 * refs["web-canary"] / (refs["web-canary"] + refs["web-stable"]))
    for http in obj["spec"]["http"]:
        hosts = {r["destination"]["host"].split(".")[0]: r.get("weight", 0) for r in http["route"]}
        if "web-canary" in hosts:
            return hosts["web-canary"]
    return None  # a user's VirtualService as written: nothing of ours in it


class Watch:
    """`kubectl get --watch` of one object; collects what each event carried."""

    def __init__(self, kube, resource, ns, name):
        self.process = subprocess.Popen(
            [kube.binary, "--kubeconfig", kube.kubeconfig, "get", resource, name, "-n", ns, "--watch",
             "--output-watch-events", "-o", "json"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.events = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        decoder, buffer = json.JSONDecoder(), ""
        for line in self.process.stdout:
            buffer += line
            try:
                event, end = decoder.raw_decode(buffer.lstrip())
            except json.JSONDecodeError:
                continue
            self.events.append(event)
            buffer = buffer.lstrip()[end:]

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def walk_and_promote(kube, ns, router, stable_uids, actual=WEIGHTS):
    """Every setWeight is read back from the route object while its pause holds."""
    seen = []
    for index, weight in enumerate(WEIGHTS):
        status = waiting_at(kube, ns, 2 * index + 1)
        seen.append(router.weight())
        assert status["canaryWeight"] == weight and status["actualWeight"] == actual[index], status
        assert pod_uids(kube, ns, "app=web,!autocanary.io/track") == stable_uids, "stable pods never restart"
        approve(kube, ns, f"approve-{index}")
    assert seen == WEIGHTS
    wait_phase(kube, ns, "web", "Succeeded", timeout=120)
    wait_for(lambda: not router.objects(), f"{router.kind} removed after promotion", timeout=30)
    return seen


def rollback_in_one_update(kube, ns, router, backend=None):
    apply_version(kube, ns, V3, backend)
    waiting_at(kube, ns, 1)
    routed = router.one()
    assert weight_of(router.kind, routed) == 10
    watch = Watch(kube, router.resource(), ns, routed["metadata"]["name"])
    try:
        wait_for(lambda: watch.events, "the watch's first event")
        kube.run("patch", "canaries.autocanary.io", "web", "-n", ns, "--type=merge", "-p",
                 json.dumps({"spec": {"abort": "stop"}}))
        wait_phase(kube, ns, "web", ["Aborting", "Failed"])
        wait_for(lambda: any(weight_of(router.kind, e["object"]) == 0 for e in watch.events
                             if e["type"] != "DELETED"), "weight 0 on the watch", timeout=30)
    finally:
        watch.stop()
    weights = [weight_of(router.kind, e["object"]) for e in watch.events if e["type"] != "DELETED"]
    weights = [w for i, w in enumerate(weights) if w is not None and (i == 0 or w != weights[i - 1])]
    assert weights[:2] == [10, 0], f"10% → 0% in one update, saw {weights}"
    if router.kind == "deployments":
        first_zero = next(e["object"] for e in watch.events if weight_of(router.kind, e["object"]) == 0)
        assert first_zero["spec"]["replicas"] == 0, "scaled to 0 in the same update"
    wait_phase(kube, ns, "web", "Failed", timeout=60)
    wait_for(lambda: not router.objects(), "routing removed after the abort", timeout=30)


def backend_services(kube, ns):
    return {s["metadata"]["name"]: s for s in kube.get("services", namespace=ns)["items"]
            if s["metadata"].get("labels", {}).get("autocanary.io/routing-for") == "web"}


def assert_apex_narrowed(kube, ns):
    """The user's Service selects only the stable ReplicaSet while a mesh splits
    it, so clients outside the mesh (kube-proxy) never reach the canary."""
    apex = kube.get("service", "web", ns)
    live = kube.get("replicasets", namespace=ns, selector="app=web,!autocanary.io/track")["items"]
    hashes = {rs["metadata"]["labels"]["pod-template-hash"] for rs in live if rs["spec"]["replicas"] > 0}
    assert apex["spec"]["selector"] == {"app": "web", "pod-template-hash": hashes.pop()}, apex["spec"]
    assert apex["metadata"]["annotations"]["autocanary.io/narrowed-for"] == "web"


def assert_backend_services(kube, ns):
    services = backend_services(kube, ns)
    assert set(services) == {"web-stable", "web-canary"}
    stable, canary = services["web-stable"], services["web-canary"]
    live_hash = kube.get("replicasets", namespace=ns, selector="app=web,!autocanary.io/track")["items"]
    hashes = {rs["metadata"]["labels"]["pod-template-hash"] for rs in live_hash if rs["spec"]["replicas"] > 0}
    assert stable["spec"]["selector"] == {"app": "web", "pod-template-hash": hashes.pop()}
    assert canary["spec"]["selector"] == {"app": "web", "autocanary.io/track": "canary",
                                          "autocanary.io/canary-of": "web"}
    assert [p["port"] for p in stable["spec"]["ports"]] == [80]
    for service in services.values():
        owner = service["metadata"]["ownerReferences"][0]
        assert (owner["kind"], owner["name"]) == ("Deployment", "web")


# ---- per router ------------------------------------------------------------------

def run_rollout(kube, prefix, backend, kind, api_version, check_objects=None):
    ns = start(kube, prefix, backend)
    user_service = kube.get("service", "web", ns)["spec"]
    stable_uids = pod_uids(kube, ns, "app=web,!autocanary.io/track")
    apply_version(kube, ns, V2, backend)
    router = Router(kube, ns, kind, api_version)
    status = waiting_at(kube, ns, 1)
    assert status["routing"]["router"] == backend and status["routing"]["apiVersion"] == api_version, status
    assert status["routing"]["service"] == "web"
    if check_objects:
        check_objects(ns)
    assert_apex_narrowed(kube, ns)
    walk_and_promote(kube, ns, router, stable_uids)
    assert not backend_services(kube, ns), "the backend Services are removed with the canary"
    restored = kube.get("service", "web", ns)
    assert restored["spec"] == user_service, "the user's Service is as it was"
    assert "autocanary.io/narrowed-for" not in restored["metadata"].get("annotations", {})
    rollback_in_one_update(kube, ns, router, backend)
    assert not backend_services(kube, ns)
    return ns


class PodRatio(Router):
    """The pod-ratio router's only object is the canary workload itself."""

    def __init__(self, kube, ns):
        super().__init__(kube, ns, "deployments", "apps/v1")

    def objects(self):
        return self.kube.get("deployments", namespace=self.ns, selector="autocanary.io/canary-of=web")["items"]


def test_pod_ratio(kube, coordinators):
    ns = start(kube, "podratio", "podRatio")
    stable_uids = pod_uids(kube, ns, "app=web,!autocanary.io/track")
    apply_version(kube, ns, V2, "podRatio")
    status = waiting_at(kube, ns, 1)
    assert status["routing"] == {"router": "podRatio", "reason": "the policy asks for podRatio"}
    router = PodRatio(kube, ns)
    # 4 stable pods: 10% → 1 canary pod (20%), 40% → 3 (43%), 100% → 4 (50%).
    walk_and_promote(kube, ns, router, stable_uids, actual=[20, 43, 50])
    assert not backend_services(kube, ns)
    rollback_in_one_update(kube, ns, router, "podRatio")


def test_smi_as_linkerd_serves_it(kube, coordinators):
    # Linkerd's CRD as it is: v1alpha1 (storage) and v1alpha2 served.
    assert served(kube, "split.smi-spec.io/v1alpha2") and not served(kube, "split.smi-spec.io/v1alpha4")
    run_rollout(kube, "smi", "smi", "trafficsplits", "split.smi-spec.io/v1alpha2",
                lambda ns: assert_backend_services(kube, ns))


def test_smi_v1alpha1_quantity_weights(kube, coordinators):
    delete_crds(kube, SMI_CRD)
    apply_docs(kube, [smi_crd({"v1alpha1"}, "v1alpha1")])
    wait_for(lambda: served(kube, "split.smi-spec.io/v1alpha1") and not served(kube, "split.smi-spec.io/v1alpha2"),
             "only v1alpha1 served")

    def quantities(ns):
        split = Router(kube, ns, "trafficsplits", "split.smi-spec.io/v1alpha1").one()
        assert {b["service"]: b["weight"] for b in split["spec"]["backends"]} == {"web-stable": "900m",
                                                                                 "web-canary": "100m"}

    run_rollout(kube, "smi1", "smi", "trafficsplits", "split.smi-spec.io/v1alpha1", quantities)


def test_smi_v1alpha4(kube, coordinators):
    delete_crds(kube, SMI_CRD)
    apply_docs(kube, [smi_crd({"v1alpha1", "v1alpha2", "v1alpha3", "v1alpha4"}, "v1alpha4")])
    wait_for(lambda: served(kube, "split.smi-spec.io/v1alpha4"), "v1alpha4 served")
    run_rollout(kube, "smi4", "smi", "trafficsplits", "split.smi-spec.io/v1alpha4")
    delete_crds(kube, SMI_CRD)
    apply_files(kube, CRD_FILES["smi"])


def test_gateway_api_httproute(kube, coordinators):
    def route_shape(ns):
        route = Router(kube, ns, "httproutes", "gateway.networking.k8s.io/v1").one()
        assert route["spec"]["parentRefs"] == [{"group": "", "kind": "Service", "name": "web", "port": 80}]
        assert [(r["name"], r["port"]) for r in route["spec"]["rules"][0]["backendRefs"]] == \
            [("web-stable", 80), ("web-canary", 80)]
        assert_backend_services(kube, ns)

    run_rollout(kube, "gamma", "gatewayAPI", "httproutes", "gateway.networking.k8s.io/v1", route_shape)


def test_istio_virtual_service_over_backend_services(kube, coordinators):
    def destinations(ns):
        service = Router(kube, ns, "virtualservices", "networking.istio.io/v1").one()
        assert [(r["destination"]["host"], r["weight"]) for r in service["spec"]["http"][0]["route"]] == \
            [("web-stable", 90), ("web-canary", 10)]
        assert_backend_services(kube, ns)

    run_rollout(kube, "istio", "istio", "virtualservices", "networking.istio.io/v1", destinations)


USER_VS = """apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: web
  namespace: {ns}
spec:
  hosts: [web]
  http:
    - name: admin
      match: [{{uri: {{prefix: /admin}}}}]
      route: [{{destination: {{host: admin-console, port: {{number: 9090}}}}}}]
    - name: main
      route: [{{destination: {{host: web, port: {{number: 80}}}}}}]
    - name: legacy
      match: [{{headers: {{x-legacy: {{exact: "1"}}}}}}]
      route: [{{destination: {{host: web-legacy.other.svc.cluster.local}}, weight: 100}}]
      timeout: 3s
"""


def test_istio_keeps_the_other_routes_of_a_users_virtual_service_byte_identical(kube, coordinators):
    ns = start(kube, "istiouser", "istio")
    kube.apply(USER_VS.format(ns=ns))
    original = kube.get("virtualservices.networking.istio.io", "web", ns)
    raw = lambda: json.loads(kube.run("get", "--raw", f"/apis/networking.istio.io/v1/namespaces/{ns}"
                                                      "/virtualservices/web").stdout)
    original_raw = raw()
    extra = lambda vs: [json.dumps(vs["spec"]["http"][i]) for i in (0, 2)]
    stable_uids = pod_uids(kube, ns, "app=web,!autocanary.io/track")
    apply_version(kube, ns, V2, "istio")

    user = Router(kube, ns, "virtualservices", "networking.istio.io/v1")
    user.weight = lambda: weight_of("virtualservices", raw())
    user.objects = lambda: [raw()] if "autocanary.io/original-routes" in raw()["metadata"].get("annotations", {}) \
        else []
    status = waiting_at(kube, ns, 1)
    assert status["routing"]["router"] == "istio"
    during = raw()
    assert extra(during) == extra(original_raw), "the other routes stay byte-identical"
    assert during["spec"]["http"][1]["route"] == [
        {"destination": {"host": "web-stable", "port": {"number": 80}}, "weight": 90},
        {"destination": {"host": "web-canary", "port": {"number": 80}}, "weight": 10}]
    assert kube.run("get", "virtualservices.networking.istio.io", "web-autocanary", "-n", ns,
                    check=False).returncode != 0, "no VirtualService of ours beside the user's"

    walk_and_promote(kube, ns, user, stable_uids)
    after = kube.get("virtualservices.networking.istio.io", "web", ns)
    assert after["spec"] == original["spec"], "the user's routes are restored as written"
    assert "autocanary.io/original-routes" not in after["metadata"].get("annotations", {})
    assert extra(raw()) == extra(original_raw)
    assert "ownerReferences" not in after["metadata"], "never owned, so never garbage-collected"

    rollback_in_one_update(kube, ns, user, "istio")
    assert kube.get("virtualservices.networking.istio.io", "web", ns)["spec"] == original["spec"]


def test_no_service_falls_back_to_pod_ratio_with_a_warning(kube, coordinators):
    ns = start(kube, "noservice", "smi", service=False)
    apply_version(kube, ns, V2, "smi")
    status = waiting_at(kube, ns, 1)
    assert status["routing"]["router"] == "podRatio"
    assert "no Service selects the pods of web" in status["routing"]["reason"]
    assert kube.get("deployment", "web-canary", ns)["spec"]["replicas"] == 1, "pod ratio: 10% of 4 → 1 pod"
    warnings = [e for e in kube.get("events", namespace=ns)["items"]
                if e["reason"] == "TrafficFallback" and e["involvedObject"]["name"] == "web"]
    assert warnings and warnings[0]["type"] == "Warning"
    assert "routing by pod ratio" in warnings[0]["message"]


# ---- auto-detection --------------------------------------------------------------------

@pytest.mark.parametrize("installed, router, api_version", [
    (None, "podRatio", None),
    ("smi", "smi", "split.smi-spec.io/v1alpha2"),
    # Gateway API CRDs alone (no mesh, no route of the user's to the Service): a
    # GAMMA route would shift nothing, so pod ratio.
    ("gatewayAPI", "podRatio", None),
    ("istio", "istio", "networking.istio.io/v1"),
])
def test_auto_detection_picks_the_installed_routing_api(kube, coordinators, installed, router, api_version):
    install_only(kube, installed)
    ns = start(kube, f"auto-{router.lower()}")
    apply_version(kube, ns, V2)
    status = waiting_at(kube, ns, 1)
    routing = status["routing"]
    assert routing["router"] == router, routing
    assert routing.get("apiVersion") == api_version
    assert routing["reason"].startswith("auto: ")
    if installed == "gatewayAPI":
        assert "no mesh implements GAMMA" in routing["reason"], routing
    elif installed:
        assert Router(kube, ns, {"smi": "trafficsplits", "gatewayAPI": "httproutes",
                                 "istio": "virtualservices"}[router], api_version).weight() == 10
    kube.run("patch", "canaries.autocanary.io", "web", "-n", ns, "--type=merge", "-p",
             json.dumps({"spec": {"abort": "done"}}))
    wait_phase(kube, ns, "web", "Failed", timeout=60)


# ---- Gateway API: the user's route, or GAMMA where a mesh implements it -------------------

USER_ROUTE = """apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: shop
  namespace: {ns}
spec:
  parentRefs: [{{name: public}}]
  rules:
    - backendRefs: [{{name: web, port: 80}}]
      filters:
        - type: ResponseHeaderModifier
          responseHeaderModifier: {{add: [{{name: x-shop, value: "1"}}]}}
    - matches: [{{path: {{type: PathPrefix, value: /admin}}}}]
      backendRefs: [{{name: admin, port: 8080}}]
    - matches: [{{headers: [{{name: x-debug, value: "1"}}]}}]
      filters: [{{type: RequestRedirect, requestRedirect: {{statusCode: 302, hostname: debug.example.test}}}}]
"""


def test_auto_with_gateway_api_and_no_mesh_reweights_the_users_gateway_route(kube, coordinators):
    install_only(kube, "gatewayAPI")
    ns = start(kube, "gwroute")
    kube.apply(USER_ROUTE.format(ns=ns))
    raw = lambda: json.loads(kube.run("get", "--raw", f"/apis/gateway.networking.k8s.io/v1/namespaces/{ns}"
                                                      "/httproutes/shop").stdout)
    original = raw()
    others = lambda route: [json.dumps(route["spec"]["parentRefs"])] + [json.dumps(r) for r in route["spec"]["rules"][1:]]
    stable_uids = pod_uids(kube, ns, "app=web,!autocanary.io/track")
    apply_version(kube, ns, V2)

    user = Router(kube, ns, "httproutes", "gateway.networking.k8s.io/v1")
    user.objects = lambda: [raw()] if "autocanary.io/original-routes" in raw()["metadata"].get("annotations", {}) \
        else []
    status = waiting_at(kube, ns, 1)
    assert status["routing"]["router"] == "gatewayRoute", status["routing"]
    assert status["routing"]["reason"] == (
        f"auto: gateway.networking.k8s.io/v1 is served and HTTPRoute {ns}/shop, attached to a Gateway, sends to "
        "Service web; reweighting it in place")
    during = raw()
    assert others(during) == others(original), "the other rules and the parents stay byte-identical"
    assert during["spec"]["rules"][0]["filters"] == original["spec"]["rules"][0]["filters"]
    assert during["spec"]["rules"][0]["backendRefs"] == [
        {"group": "", "kind": "Service", "name": "web-stable", "port": 80, "weight": 90},
        {"group": "", "kind": "Service", "name": "web-canary", "port": 80, "weight": 10}]
    assert not kube.get("httproutes.gateway.networking.k8s.io", namespace=ns,
                        selector="autocanary.io/routing-for=web")["items"], "no GAMMA route of ours"
    assert_backend_services(kube, ns)

    walk_and_promote(kube, ns, user, stable_uids)
    after = raw()
    assert after["spec"] == original["spec"], "the user's route restored as written"
    assert "autocanary.io/original-routes" not in after["metadata"].get("annotations", {})
    assert "ownerReferences" not in after["metadata"], "never owned, so never garbage-collected"
    wait_for(lambda: not backend_services(kube, ns), "the backend Services removed after the route", timeout=30)

    rollback_in_one_update(kube, ns, user)
    assert raw()["spec"] == original["spec"]


MESH_CLASS = """apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: mesh-e2e}
spec: {controllerName: example.com/mesh}
"""


def test_auto_with_gateway_api_uses_a_gamma_route_where_a_mesh_implements_it(kube, coordinators):
    install_only(kube, "gatewayAPI")
    kube.apply(MESH_CLASS)
    try:
        # As a GAMMA implementation reports it: Mesh* features in the GatewayClass's status.
        kube.run("patch", "gatewayclass", "mesh-e2e", "--subresource=status", "--type=merge", "-p", json.dumps(
            {"status": {"supportedFeatures": [{"name": "HTTPRoute"}, {"name": "MeshHTTPRoute"}]}}))
        ns = start(kube, "gamma-auto")
        apply_version(kube, ns, V2)
        status = waiting_at(kube, ns, 1)
        assert status["routing"]["router"] == "gatewayAPI", status["routing"]
        assert "GatewayClass mesh-e2e reports MeshHTTPRoute" in status["routing"]["reason"], status["routing"]
        route = Router(kube, ns, "httproutes", "gateway.networking.k8s.io/v1")
        assert route.weight() == 10
        assert route.one()["spec"]["parentRefs"][0]["kind"] == "Service"
        kube.run("patch", "canaries.autocanary.io", "web", "-n", ns, "--type=merge", "-p",
                 json.dumps({"spec": {"abort": "done"}}))
        wait_phase(kube, ns, "web", "Failed", timeout=60)
    finally:
        kube.run("delete", "gatewayclass", "mesh-e2e", "--ignore-not-found")

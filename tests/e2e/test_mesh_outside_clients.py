"""Clients outside the mesh during a mesh rollout. A mesh weighs only its own
clients' requests; everyone else reaches the user's Service through kube-proxy.
With the canary's pods carrying the app's labels they would get the canary's
share of the pods — half of them with canaryReplicas matchStable, from weight
0. autocanary narrows the user's Service to the stable pods for the rollout:
shown here by the Service's EndpointSlices (kwok pods) and by real requests
through its ClusterIP (pods on the real node)."""

import collections

import pytest

from pod_release import service_url, versions, wait_answering
from kube import deployment, running_coordinators, unique, wait_for, wait_phase
from test_traffic_routers import ENABLED, SERVICE, V1, V2, approve, assert_apex_narrowed, waiting_at

# SMI without a mesh: the TrafficSplit is written and read back, but nothing
# implements it here, so every request below is a non-mesh client's.
POLICY = """
steps:
  - setWeight: 10
  - pause: {}
  - setWeight: 100
  - pause: {}
canaryReplicas: {mode: matchStable}
trafficBackend: smi
rolloutRestart: rollout
abortScaleDownDelay: 2s
"""


@pytest.fixture(scope="module")
def coordinators(kube, webhook, tmp_path_factory):
    yield from running_coordinators(webhook, tmp_path_factory, "outside", POLICY)


def canary_waiting(kube, ns):
    """Service web over Deployment web (2 pods) at v1, then v2's canary held at its first pause."""
    kube.create_namespace(ns, ENABLED)
    kube.apply(SERVICE.format(ns=ns))
    kube.apply(deployment("web", ns, V1, replicas=2))
    kube.run("rollout", "status", "deployment/web", "-n", ns, "--timeout=90s", timeout=100)
    kube.apply(deployment("web", ns, V2, replicas=2))
    waiting_at(kube, ns, 1)


def endpoint_pods(kube, ns, service):
    """Names of the pods the Service's EndpointSlices list as ready: what kube-proxy balances over."""
    slices = kube.get("endpointslices.discovery.k8s.io", namespace=ns,
                      selector=f"kubernetes.io/service-name={service}")["items"]
    return {e["targetRef"]["name"] for s in slices for e in s.get("endpoints") or []
            if e.get("conditions", {}).get("ready") and e.get("targetRef")}


def test_clients_outside_the_mesh_reach_only_stable_pods(kube, coordinators):
    """With a mesh router the canary is reached only through the mesh, at its
    weight: the user's Service is narrowed to the stable pods for the rollout, so
    kube-proxy's clients see none of the canary's pods, even with as many canary
    pods as stable ones (matchStable) — they would be half of the endpoints."""
    manifest = lambda image: deployment("web", ns, image, replicas=4)
    ns = unique("nonmesh")
    kube.create_namespace(ns, ENABLED)
    kube.apply(SERVICE.format(ns=ns))
    kube.apply(manifest(V1))
    kube.run("rollout", "status", "deployment/web", "-n", ns, "--timeout=90s", timeout=100)
    stable = {p["metadata"]["name"] for p in kube.get("pods", namespace=ns, selector="app=web")["items"]}
    wait_for(lambda: endpoint_pods(kube, ns, "web") == stable, "the Service's endpoints: the v1 pods")

    kube.apply(manifest(V2))
    status = waiting_at(kube, ns, 1)
    assert status["routing"]["router"] == "smi", status["routing"]
    canary = lambda: {p["metadata"]["name"] for p in kube.get("pods", namespace=ns,
                                                              selector="autocanary.io/canary-of=web")["items"]}
    wait_for(lambda: len(endpoint_pods(kube, ns, "web-canary")) == 4, "4 ready canary pods behind web-canary")
    assert endpoint_pods(kube, ns, "web-canary") == canary()
    # The endpoints controller has seen the canary's pods Ready: the apex still lists only stable ones.
    assert endpoint_pods(kube, ns, "web") == stable
    assert_apex_narrowed(kube, ns)

    approve(kube, ns, "to-100")
    waiting_at(kube, ns, 3)
    approve(kube, ns, "promote")
    wait_phase(kube, ns, "web", "Succeeded", timeout=120)
    promoted = lambda: {p["metadata"]["name"] for p in kube.get("pods", namespace=ns,
                                                                selector="app=web,!autocanary.io/track")["items"]
                        if p["spec"]["containers"][0]["image"] == V2}
    # The Service is given back once the canary's pods are gone (after a drain), not at once.
    wait_for(lambda: kube.get("service", "web", ns)["spec"]["selector"] == {"app": "web"},
             "the Service's selector as the user wrote it", timeout=60)
    assert not canary(), "given back only once the canary's pods were gone"
    wait_for(lambda: len(promoted()) == 4 and endpoint_pods(kube, ns, "web") == promoted(),
             "the restored Service's endpoints: the promoted v2 pods")



def test_deleting_the_deployment_mid_rollout_gives_the_service_back(kube, coordinators):
    """The route objects go with the Deployment (owner references); the user's
    Service is not ours to own, so the coordinator puts its selector back —
    or a Deployment created again with another template would start behind a
    Service that selects none of its pods."""
    ns = unique("outside-delete")
    canary_waiting(kube, ns)
    assert_apex_narrowed(kube, ns)
    kube.run("delete", "deployment", "web", "-n", ns, "--wait=true", timeout=70)
    wait_for(lambda: kube.get("service", "web", ns)["spec"]["selector"] == {"app": "web"},
             "the Service's selector as the user wrote it", timeout=30)
    assert "autocanary.io/narrowed-for" not in kube.get("service", "web", ns)["metadata"].get("annotations", {})



def test_the_narrowed_service_follows_a_stable_that_rolls_mid_rollout(kube, coordinators):
    """`kubectl rollout restart` under `rolloutRestart: rollout` rolls the stable
    workload during the canary: the Service must follow its new ReplicaSet, not
    keep selecting the old one's pods as they go away."""
    ns = unique("outside-restart")
    # The webhook decides what a restart is from the cluster's default policy.
    kube.apply("""apiVersion: autocanary.io/v1alpha1
kind: ClusterCanaryPolicy
metadata: {name: default}
spec:
  steps: [{setWeight: 10}, {pause: {}}, {setWeight: 100}]
  rolloutRestart: rollout
""")
    try:
        restart_mid_rollout(kube, ns)
    finally:
        kube.run("delete", "clustercanarypolicies.autocanary.io", "default", "--ignore-not-found")


def restart_mid_rollout(kube, ns):
    canary_waiting(kube, ns)
    before = kube.get("service", "web", ns)["spec"]["selector"]["pod-template-hash"]
    kube.run("rollout", "restart", "deployment/web", "-n", ns)
    kube.run("rollout", "status", "deployment/web", "-n", ns, "--timeout=90s", timeout=100)
    stable = lambda: {p["metadata"]["name"] for p in kube.get("pods", namespace=ns,
                                                              selector="app=web,!autocanary.io/track")["items"]
                      if not p["metadata"].get("deletionTimestamp")}
    # While the stable rolls the apex selects every pod of the Deployment (no hash): wait past that.
    wait_for(lambda: kube.get("service", "web", ns)["spec"]["selector"].get("pod-template-hash") not in (before, None),
             "the Service narrowed to the restarted ReplicaSet")
    assert_apex_narrowed(kube, ns)
    wait_for(lambda: endpoint_pods(kube, ns, "web") == stable() and len(stable()) == 2,
             "the Service's endpoints: the restarted stable pods")
    assert endpoint_pods(kube, ns, "web-stable") == stable()
    assert kube.get("canaries.autocanary.io", "web", ns)["status"]["phase"] == "WaitingForApproval"


def app(ns, node, version, replicas=2):
    """The test app as Deployment web (label app=web), pinned to the real node."""
    return f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: {ns}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      nodeSelector: {{kubernetes.io/hostname: "{node}"}}
      tolerations: [{{key: autocanary.io/real-node, operator: Exists, effect: NoSchedule}}]
      terminationGracePeriodSeconds: 2
      containers:
        - name: app
          image: autocanary-test-app:dev
          imagePullPolicy: Never
          ports: [{{containerPort: 8080}}]
          readinessProbe: {{httpGet: {{path: /ready, port: 8080}}, periodSeconds: 1}}
          env: [{{name: APP_VERSION, value: "{version}"}}]
"""


def test_real_requests_outside_the_mesh_reach_only_stable_pods(kube, real_node, coordinators):
    ns = unique("outside-real")
    kube.create_namespace(ns, ENABLED)
    try:
        kube.apply(SERVICE.format(ns=ns))
        kube.apply(app(ns, real_node.name, "v1"))
        kube.run("rollout", "status", "deployment/web", "-n", ns, "--timeout=90s", timeout=100)
        url = service_url(kube, "web", ns)
        wait_answering(url, "v1", timeout=30)

        kube.apply(app(ns, real_node.name, "v2"))
        waiting_at(kube, ns, 1)
        wait_for(lambda: len(endpoint_pods(kube, ns, "web-canary")) == 2, "2 ready canary pods (matchStable)")
        at_10 = collections.Counter(versions(url, 200))
        print(f"weight 10, 2 stable + 2 canary pods, 200 requests through the Service: {dict(at_10)}")
        assert at_10 == {"v1": 200}, at_10
        # The canary answers through its own Service: the pods are up and serving. The
        # EndpointSlice lists them before kube-proxy has programmed the new Service's rules.
        wait_answering(service_url(kube, "web-canary", ns), "v2", timeout=30)

        approve(kube, ns, "to-100")
        waiting_at(kube, ns, 3)
        at_100 = collections.Counter(versions(url, 200))
        print(f"weight 100 (for the mesh), through the Service: {dict(at_100)}")
        assert at_100 == {"v1": 200}, at_100
        approve(kube, ns, "promote")
        wait_phase(kube, ns, "web", "Succeeded", timeout=120)
        wait_answering(url, "v2", timeout=60)
    finally:
        kube.run("delete", "namespace", ns, "--wait=true", "--timeout=60s", check=False, timeout=70)

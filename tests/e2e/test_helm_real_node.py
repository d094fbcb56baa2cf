"""`helm install` of charts/autocanary with the images scripts/images.sh builds:
the webhook and coordinator run as pods on the real node (tests/cluster/
real-node.sh), reach the apiserver through the `kubernetes` Service with their
service accounts, and the apiserver calls the webhook through its Service. A
plain Deployment of the test app in a namespace that is opted in and enforces
Pod Security "restricted" becomes a canary of real containers, the shim
injected as a native sidecar and judged by the kubelet, then is promoted; the
Service's ClusterIP answers v2 at the end."""

import json

import pytest

from helm_release import Helm
from kube import canary_status, unique, wait_for, wait_phase
from pod_release import (ENABLED, RESTRICTED, PodRelease, app, ready, service, service_url, versions,
                         wait_answering)

# Short, and held at the canary step until the test has looked at it.
POLICY = {"steps": [{"setWeight": 50}, {"pause": {}}, {"analysis": {"names": ["pod-health"]}}, {"setWeight": 100}],
          "trafficBackend": "podRatio", "shimInjection": "whenNoProbe", "abortScaleDownDelay": "0s"}
STEPS = ["setWeight 50", "pause until approved", "analysis pod-health", "setWeight 100"]


@pytest.fixture(scope="module")
def helm(kube, sole_registration):
    return Helm(kube, kube.kubeconfig.rsplit("/", 1)[0])


def running(status):
    return "running" in status.get("state", {})


def assert_real_pod(pod, node):
    """Scheduled on the real node, every container started by containerd and running."""
    name = pod["metadata"]["name"]
    assert pod["spec"]["nodeName"] == node, name
    statuses = pod["status"].get("containerStatuses", []) + pod["status"].get("initContainerStatuses", [])
    assert statuses, name
    for status in statuses:
        assert status["containerID"].startswith("containerd://") and running(status), (name, status)


def shim_status(pod):
    shims = [s for s in pod["status"].get("initContainerStatuses", []) if s["name"] == "autocanary-shim"]
    assert len(shims) == 1, pod["status"].get("initContainerStatuses")
    return shims[0]


def test_helm_install_in_pods_canaries_a_restricted_app_of_real_containers(kube, real_node, helm):
    real_node.import_images("autocanary", "autocanary-shim")
    system = unique("ac-system")
    # The chart's own pods are "restricted" too.
    kube.create_namespace(system, RESTRICTED)
    shop = unique("shop")
    release = PodRelease(kube, helm, "ac", system, ["--set-json", f"defaultPolicy.spec={json.dumps(POLICY)}"])
    try:
        release.install()
        for component in ("webhook", "coordinator"):
            pods = release.pods(component)
            assert len(pods) == 2 and all(ready(p) for p in pods), component
            for pod in pods:
                assert_real_pod(pod, real_node.name)
                image = pod["spec"]["containers"][0]["image"]
                assert image == f"localhost/autocanary/{component}:dev", image
        # In-cluster config worked: the webhooks made the certificate Secret and
        # filled their registration's caBundle through the `kubernetes` Service.
        hooks = kube.get("mutatingwebhookconfiguration", release.fullname)["webhooks"]
        assert [h["name"] for h in hooks] == ["deployments.autocanary.io", "namespaces.autocanary.io"]
        for hook in hooks:
            assert hook["clientConfig"]["service"]["name"] == f"{release.fullname}-webhook"
            assert hook["clientConfig"].get("caBundle"), "the webhook pods registered their CA"
        lease = kube.get("lease", f"{release.fullname}-coordinator", system)
        assert lease["spec"].get("holderIdentity") in {p["metadata"]["name"] for p in release.pods("coordinator")}

        # An opt-in value the selector does not match is answered by the webhook pods.
        kube.create_namespace(shop, RESTRICTED)
        labelled = kube.run("label", "namespace", shop, "autocanary.io/enabled=yes")
        assert f"Warning: autocanary: namespace {shop} is labelled autocanary.io/enabled=yes" in labelled.stderr, \
            labelled.stderr
        kube.run("label", "namespace", shop, "--overwrite", *(f"{k}={v}" for k, v in ENABLED.items()))
        # Enforcement is on in the app's namespace: a pod without the restricted fields is refused.
        refused = kube.apply(f"""apiVersion: v1
kind: Pod
metadata: {{name: plain, namespace: {shop}}}
spec:
  containers: [{{name: app, image: autocanary-test-app:dev}}]
""", "--dry-run=server", check=False)
        assert refused.returncode != 0 and "violates PodSecurity \"restricted" in refused.stderr, refused.stderr

        kube.apply(app("web", shop, "v1"))
        kube.apply(service("web", shop))
        kube.run("rollout", "status", "deployment/web", "-n", shop, "--timeout=120s", timeout=130)
        live = kube.get("deployment", "web", shop)
        assert live["metadata"]["labels"].get("autocanary.io/managed") == "true", \
            "the apiserver called the webhook pod through its Service"
        url = service_url(kube, "web", shop)
        wait_answering(url, "v1")

        kube.apply(app("web", shop, "v2"))
        live = kube.get("deployment", "web", shop)
        assert live["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] == "v1", "stable template kept"
        revision = live["metadata"]["annotations"]["autocanary.io/pending-revision"]

        status = wait_phase(kube, shop, "web", "WaitingForApproval", timeout=180)
        assert status["revision"] == revision
        assert status["policy"]["name"] == "default", "the chart's default policy (our values) drove it"
        canary_pods = kube.get("pods", namespace=shop, selector="autocanary.io/track=canary")["items"]
        # A namespace enforcing "restricted" admitted the canary's pods, the shim's container included.
        assert len(canary_pods) == 2, [p["metadata"]["name"] for p in canary_pods]  # 50% of 2 stable
        for pod in canary_pods:
            assert ready(pod), pod["status"]
            assert_real_pod(pod, real_node.name)
            shim = shim_status(pod)
            assert shim["started"] and shim["ready"], shim
            spec = next(c for c in pod["spec"]["initContainers"] if c["name"] == "autocanary-shim")
            assert spec["restartPolicy"] == "Always" and spec["image"] == "localhost/autocanary/shim:dev", spec
            # The pod is Ready when the shim's /ready says the app answers (the app has no probe of its own).
            assert spec["readinessProbe"]["httpGet"]["path"] == "/ready", spec
            assert "readinessProbe" not in pod["spec"]["containers"][0]
        # Pod ratio: the Service selects both tracks, so real requests reach the canary's containers.
        wait_for(lambda: "v2" in versions(url, 10), "a v2 answer through the Service during the canary", timeout=60)

        kube.run("patch", "canaries.autocanary.io", "web", "-n", shop, "--type=merge",
                 "-p", json.dumps({"spec": {"promote": "helm-real-node"}}))
        done = wait_phase(kube, shop, "web", ["Succeeded", "Failed"], timeout=240)
        assert done["phase"] == "Succeeded", done
        assert [s["description"] for s in done["steps"]] == STEPS
        kube.run("rollout", "status", "deployment/web", "-n", shop, "--timeout=120s", timeout=130)
        live = kube.get("deployment", "web", shop)
        assert live["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] == "v2"
        wait_for(lambda: kube.run("get", "deployment", "web-canary", "-n", shop, check=False).returncode != 0,
                 "the canary workload to be deleted", timeout=60)
        wait_answering(url, "v2", timeout=90)
        answers = versions(url, 40)
        assert answers == ["v2"] * 40, answers
        # The promoted pods run the shim too, under the kubelet.
        stable = kube.get("pods", namespace=shop, selector="app=web,!autocanary.io/track")["items"]
        for pod in stable:
            if pod["metadata"].get("deletionTimestamp"):
                continue
            assert_real_pod(pod, real_node.name)
            assert shim_status(pod)["ready"], pod["metadata"]["name"]
        assert canary_status(kube, shop, "web")["phase"] == "Succeeded"
    finally:
        release.uninstall(check=False)
        kube.run("delete", "namespace", shop, "--ignore-not-found", "--wait=true", "--timeout=120s",
                 check=False, timeout=130)

    # Uninstalled: no pod of the release is left, nor its registration.
    assert release.pods("webhook") == [] and release.pods("coordinator") == []
    assert kube.run("get", "mutatingwebhookconfiguration", release.fullname, check=False).returncode != 0
    assert kube.run("get", "lease", f"{release.fullname}-coordinator", "-n", system, check=False).returncode != 0
    kube.run("delete", "namespace", system, "--wait=true", "--timeout=120s", check=False, timeout=130)

"""autocanary installed by its chart with the images scripts/images.sh builds,
its webhook and coordinator running as pods on the local cluster's real node
(tests/cluster/real-node.sh), and a Pod Security "restricted" test app to roll
out under it. Shared by test_helm_real_node.py and bench/real_node.py."""

import json

from helm_release import CHART
from kube import wait_for
from test_real_node import answers

# What scripts/images.sh imports the chart's images as.
IMAGE_VALUES = ["--set", "image.registry=localhost/autocanary", "--set", "image.tag=dev",
                "--set", "image.pullPolicy=Never"]
REAL_NODE_LABEL = "autocanary.io/real-node"
TOLERATION = {"key": REAL_NODE_LABEL, "operator": "Exists", "effect": "NoSchedule"}
RESTRICTED = {"pod-security.kubernetes.io/enforce": "restricted"}
ENABLED = {"autocanary.io/enabled": "true"}
APP_IMAGE = "autocanary-test-app:dev"


def placement_values():
    """The webhook and coordinator on the real node (its label and taint)."""
    values = []
    for component in ("webhook", "coordinator"):
        values += ["--set-json", f"{component}.nodeSelector={json.dumps({REAL_NODE_LABEL: 'true'})}",
                   "--set-json", f"{component}.tolerations={json.dumps([TOLERATION])}"]
    return values


class PodRelease:
    """A release whose webhook and coordinator run in pods (no externalURL)."""

    def __init__(self, kube, helm, release, namespace, values=()):
        self.kube, self.helm = kube, helm
        self.release, self.namespace = release, namespace
        self.fullname = f"{release}-autocanary"
        self.values = [*IMAGE_VALUES, *placement_values(), *values]

    def install(self):
        # The CRDs as test_chart.py applies them (server-side, kubectl their manager),
        # so the modules of a session can run in any order: helm skips CRDs that
        # exist, and kubectl's later applies would conflict with helm's fields.
        self.kube.run("apply", "--server-side", "--force-conflicts", "-f", str(CHART / "crds"), timeout=120)
        # Generous for two busy cores: four pods start, the webhook makes its CA first.
        return self.helm.run("install", self.release, str(CHART), "-n", self.namespace, *self.values,
                             "--wait", "--timeout", "5m", timeout=330)

    def uninstall(self, check=True):
        return self.helm.run("uninstall", self.release, "-n", self.namespace, "--wait", "--timeout", "3m",
                             timeout=200, check=check)

    def pods(self, component):
        selector = f"app.kubernetes.io/instance={self.release},app.kubernetes.io/component={component}"
        return self.kube.get("pods", namespace=self.namespace, selector=selector)["items"]


def app(name, namespace, version, replicas=2, **env):
    """A plain Deployment of the test app that Pod Security "restricted" admits,
    on the real node, with no readiness probe of its own (so the webhook injects
    the shim) and APP_VERSION=version."""
    env_items = [{"name": k, "value": str(v)} for k, v in {"APP_VERSION": version, **env}.items()]
    return json.dumps({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "nodeSelector": {REAL_NODE_LABEL: "true"},
                    "tolerations": [TOLERATION],
                    "terminationGracePeriodSeconds": 5,
                    "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [{
                        "name": "app", "image": APP_IMAGE, "imagePullPolicy": "Never",
                        "ports": [{"containerPort": 8080}],
                        "env": env_items,
                        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                            "capabilities": {"drop": ["ALL"]}},
                    }],
                },
            },
        },
    })


def service(name, namespace):
    return json.dumps({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace},
                       "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": 8080}]}})


def versions(url, n):
    """The version of N answers, each on its own connection (None for a failure)."""
    return [version if status == 200 else None for status, version, _ in answers(url, n)]


def service_url(kube, name, namespace):
    return f"http://{kube.get('service', name, namespace)['spec']['clusterIP']}/"


def ready(pod):
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", []))


def wait_answering(url, version, timeout=60):
    """Until kube-proxy sends every one of 10 requests to pods of VERSION."""
    wait_for(lambda: set(versions(url, 10)) == {version}, f"{url} answering {version} only", timeout=timeout)

"""Session fixtures: a real local control plane (tests/cluster) and the webhook
running on the host, registered through a MutatingWebhookConfiguration."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kube import ROOT, Kubectl, Webhook

RUN_DIR = os.environ.get("AUTOCANARY_RUN", "/tmp/autocanary-e2e")
CACHE = Path(os.environ.get("AUTOCANARY_CACHE", Path.home() / ".cache/autocanary"))


def _script(path, *args, env=None):
    subprocess.run([str(ROOT / path), *args], check=True, env={**os.environ, "AUTOCANARY_RUN": RUN_DIR, **(env or {})})


def _real_node_wanted():
    """Whether the session cluster gets the real kubelet node (tests/cluster/
    real-node.sh): REAL_NODE=1/0 decides; by default it does when it can, as
    root with the node binaries built and no other real node on the machine."""
    if os.environ.get("REAL_NODE") in ("0", "1"):
        return os.environ["REAL_NODE"] == "1", "REAL_NODE=0"
    if os.geteuid() != 0:
        return False, "the real node needs root"
    missing = [b for b in ("kubelet", "kube-proxy", "containerd", "containerd-shim-runc-v2")
               if not (CACHE / "bin" / b).exists()]
    if missing:
        return False, f"{', '.join(missing)} not built (tests/cluster/build.sh)"
    if not shutil.which("runc"):
        return False, "runc not installed (scripts/bootstrap.sh)"
    if Path("/sys/class/net/acbr0").exists():
        return False, "another real node is running on this machine (bridge acbr0 exists)"
    return True, ""


REAL_NODE, REAL_NODE_SKIP_REASON = _real_node_wanted()


@pytest.fixture(scope="session")
def kube():
    _script("tests/cluster/up.sh", env={"REAL_NODE": "1" if REAL_NODE else "0"})
    try:
        yield Kubectl(str(Path(RUN_DIR) / "kubeconfig"), str(CACHE / "bin/kubectl"))
    finally:
        _script("tests/cluster/down.sh")


class RealNode:
    """The session cluster's real node: `name` (its IP) and import_images(),
    which builds images with scripts/images.sh and imports them into its containerd."""

    def __init__(self, name):
        self.name = name

    @staticmethod
    def import_images(*images):
        _script("scripts/images.sh", "all", *images)


@pytest.fixture(scope="session")
def real_node(kube):
    """The real node, with the test app's image and the shim's (the session
    webhook injects it) imported; skips when the session cluster has no real node."""
    if not REAL_NODE:
        pytest.skip(f"no real node: {REAL_NODE_SKIP_REASON}")
    RealNode.import_images("test-app", "autocanary-shim")
    for line in (Path(RUN_DIR) / "env").read_text().splitlines():
        if line.startswith("export AUTOCANARY_REAL_NODE="):
            return RealNode(line.split("=", 1)[1])
    raise AssertionError(f"{RUN_DIR}/env names no real node")


@pytest.fixture(scope="module")
def sole_registration(kube):
    """For tests that install the chart, which registers a webhook of its own:
    the session webhook's registration, if the session made one, steps aside
    meanwhile. Two registrations would both review the same Deployments, and
    each would take the other's coordinator for a user and revert its promotion."""
    existed = kube.run("get", "mutatingwebhookconfiguration", "autocanary", check=False).returncode == 0
    if existed:
        kube.run("delete", "mutatingwebhookconfiguration", "autocanary")
    yield
    if existed:
        _script("scripts/local-webhook.sh", "register")


# The shim image scripts/images.sh builds: the real_node fixture imports it into
# the real node's containerd; kwok never pulls it.
SHIM_IMAGE = "autocanary-shim:dev"


@pytest.fixture(scope="session")
def webhook(kube):
    _script("scripts/local-webhook.sh", "start", env={"SHIM_IMAGE": SHIM_IMAGE})
    hook = Webhook(RUN_DIR)
    hook.start = lambda: _script("scripts/local-webhook.sh", "start", env={"SHIM_IMAGE": SHIM_IMAGE})
    hook.stop = lambda: _script("scripts/local-webhook.sh", "stop")
    hook.register = lambda policy: _script("scripts/local-webhook.sh", "register", env={"FAILURE_POLICY": policy})
    yield hook
    _script("scripts/local-webhook.sh", "stop")

"""Session fixtures: a real local control plane (tests/cluster) and the webhook
running on the host, registered through a MutatingWebhookConfiguration."""

import os
import subprocess
from pathlib import Path

import pytest

from kube import ROOT, Kubectl, Webhook

RUN_DIR = os.environ.get("AUTOCANARY_RUN", "/tmp/autocanary-e2e")
CACHE = Path(os.environ.get("AUTOCANARY_CACHE", Path.home() / ".cache/autocanary"))


def _script(path, *args, env=None):
    subprocess.run([str(ROOT / path), *args], check=True, env={**os.environ, "AUTOCANARY_RUN": RUN_DIR, **(env or {})})


@pytest.fixture(scope="session")
def kube():
    _script("tests/cluster/up.sh")
    try:
        yield Kubectl(str(Path(RUN_DIR) / "kubeconfig"), str(CACHE / "bin/kubectl"))
    finally:
        _script("tests/cluster/down.sh")


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


@pytest.fixture(scope="session")
def webhook(kube):
    _script("scripts/local-webhook.sh", "start")
    hook = Webhook(RUN_DIR)
    hook.start = lambda: _script("scripts/local-webhook.sh", "start")
    hook.stop = lambda: _script("scripts/local-webhook.sh", "stop")
    hook.register = lambda policy: _script("scripts/local-webhook.sh", "register", env={"FAILURE_POLICY": policy})
    yield hook
    _script("scripts/local-webhook.sh", "stop")

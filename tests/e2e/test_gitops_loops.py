"""GitOps tools re-apply the manifest from git all the time: Argo CD's self-heal
with client-side apply (last-applied-configuration), Flux with server-side
apply under its own field manager. Each loop applies every 2 s through a whole
promotion, a revert and an abort; the outcome is the one the contract
(docs/user-actions.md) gives, and a re-apply that changes nothing stores
nothing (the resourceVersion stays)."""

import threading
import time

import pytest

from kube import canary_status, unique, wait_for, wait_phase
from test_user_verbs import (ENABLED, V1, V2, V3, annotations, app_container, coordinators,  # noqa: F401
                             live_container, manifest)

V4 = "registry.example.com/shop/api:4.0.0"


class GitOpsLoop:
    """Applies `self.git` every `period` seconds until stopped; remembers each
    apply's resourceVersion before and after."""

    def __init__(self, kube, flags, period=2.0):
        self.kube, self.flags, self.period = kube, flags, period
        self.git = None
        self.applies = []  # (manifest, rv before, rv after, ok)
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _rv(self, ns):
        result = self.kube.run("get", "deployment", "api", "-n", ns, "-o", "jsonpath={.metadata.resourceVersion}",
                               check=False)
        return result.stdout.strip()

    def _run(self):
        while not self.stop_event.is_set():
            text, ns = self.git
            before = self._rv(ns)
            result = self.kube.apply(text, *self.flags, check=False)
            self.applies.append((text, before, self._rv(ns), result.returncode == 0))
            self.stop_event.wait(self.period)

    def start(self, text, ns):
        self.git = (text, ns)
        self.thread.start()

    def commit(self, text, ns):
        """A new commit in git: the next iteration applies it."""
        self.git = (text, ns)

    def settle(self, seconds=6.0, lead_in=3.0):
        """Lets the loop re-apply for a while; returns those applies. The lead-in
        lets the writes that ended the phase just observed land first (the
        coordinator writes the Deployment's Canary condition after its status)."""
        time.sleep(lead_in)
        start = len(self.applies)
        time.sleep(seconds)
        return self.applies[start:]

    def stop(self):
        self.stop_event.set()
        self.thread.join(timeout=30)


def approve(kube, ns, token):
    kube.run("patch", "canaries.autocanary.io", "api", "-n", ns, "--type=merge", "-p",
             f'{{"spec": {{"promote": "{token}"}}}}')


def abort(kube, ns, token):
    kube.run("patch", "canaries.autocanary.io", "api", "-n", ns, "--type=merge", "-p",
             f'{{"spec": {{"abort": "{token}"}}}}')


def assert_quiet(applies):
    assert len(applies) >= 2, applies
    assert all(ok for _, _, _, ok in applies), applies
    assert all(before == after for _, before, after, _ in applies), \
        [(before, after) for _, before, after, _ in applies]


@pytest.mark.parametrize("tool,flags", [
    ("argocd", ()),
    # Flux applies with force: fields the promotion wrote are taken back.
    ("flux", ("--server-side", "--force-conflicts", "--field-manager=kustomize-controller")),
])
def test_a_gitops_loop_through_promotion_revert_and_abort(kube, coordinators, tool, flags):
    ns = unique(f"loop-{tool}")
    kube.create_namespace(ns, ENABLED)
    loop = GitOpsLoop(kube, flags)
    loop.start(manifest(ns, V1, "old"), ns)
    try:
        wait_for(lambda: loop.applies, "the loop's first apply")
        kube.run("rollout", "status", "deployment/api", "-n", ns, "--timeout=90s", timeout=100)

        # A commit of v2: a canary, and re-applying v2 changes nothing while it waits.
        loop.commit(manifest(ns, V2, "new"), ns)
        first = wait_phase(kube, ns, "api", "WaitingForApproval")
        assert_quiet(loop.settle())
        assert canary_status(kube, ns, "api")["revision"] == first["revision"]
        assert live_container(kube, ns)["image"] == V1

        # Approved: promoted, and the loop's v2 is then simply the live template.
        approve(kube, ns, "ship-v2")
        wait_phase(kube, ns, "api", "Succeeded", timeout=120)
        assert_quiet(loop.settle())
        assert live_container(kube, ns)["image"] == V2
        assert "autocanary.io/pending-revision" not in annotations(kube, ns)
        assert canary_status(kube, ns, "api")["phase"] == "Succeeded"

        # A commit of v3, then `git revert`: the canary is cancelled, v2 keeps serving.
        loop.commit(manifest(ns, V3, "new"), ns)
        wait_for(lambda: (s := canary_status(kube, ns, "api")).get("phase") == "WaitingForApproval"
                 and s["revision"] != first["revision"], "the canary of v3")
        loop.commit(manifest(ns, V2, "new"), ns)
        wait_phase(kube, ns, "api", "Cancelled")
        wait_for(lambda: kube.run("get", "deployment", "api-canary", "-n", ns, check=False).returncode != 0,
                 "v3's canary removed")
        assert_quiet(loop.settle())
        assert live_container(kube, ns)["image"] == V2
        assert "autocanary.io/failed-revision" not in annotations(kube, ns)

        # A commit of v4, aborted: held while the loop keeps applying it.
        loop.commit(manifest(ns, V4, "new"), ns)
        v4 = wait_for(lambda: (s := canary_status(kube, ns, "api")).get("phase") == "WaitingForApproval"
                      and s["revision"] not in (first["revision"],) and s, "the canary of v4")
        abort(kube, ns, "stop-v4")
        wait_phase(kube, ns, "api", "Failed", timeout=60)
        assert_quiet(loop.settle())
        status = canary_status(kube, ns, "api")
        assert status["phase"] == "Failed" and status["revision"] == v4["revision"], status
        assert annotations(kube, ns)["autocanary.io/failed-revision"] == v4["revision"]
        assert live_container(kube, ns)["image"] == V2
    finally:
        loop.stop()

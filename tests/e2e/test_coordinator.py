"""The coordinator through a real apiserver: a pending revision walks the
policy's steps and is promoted, or is aborted at once and held; restarts and
failover lose no step."""

import json
import subprocess
import time

import pytest

from kube import (Coordinators, canary, canary_status, deployment, image_of, pod_uids, unique, wait_for,
                  wait_phase)

ENABLED = {"autocanary.io/enabled": "true"}
V1 = "registry.example.com/shop/web:1.0.0"
V2 = "registry.example.com/shop/web:2.0.0"

POLICY = """
steps:
  - setWeight: 25
  - pause: {duration: 2s}
  - setWeight: 50
  - analysis: {names: [pod-health]}
  - pause: {}
  - setWeight: 100
abortScaleDownDelay: 3s
"""
STEPS = ["setWeight 25", "pause 2s", "setWeight 50", "analysis pod-health", "pause until approved",
         "setWeight 100"]


@pytest.fixture(scope="module")
def coordinators(kube, webhook, tmp_path_factory):
    policy = tmp_path_factory.mktemp("policy") / "policy.yaml"
    policy.write_text(POLICY)
    replicas = Coordinators(webhook.state.parent, policy)
    replicas.start("a")
    yield replicas
    for name in ("a", "b"):
        replicas.stop(name)


def start_rollout(kube, prefix):
    ns = unique(prefix)
    kube.create_namespace(ns, ENABLED)
    kube.apply(deployment("web", ns, V1, replicas=4))
    kube.run("rollout", "status", "deployment/web", "-n", ns, "--timeout=90s", timeout=100)
    stable = pod_uids(kube, ns, "app=web,!autocanary.io/track")
    kube.apply(deployment("web", ns, V2, replicas=4))
    revision = kube.get("deployment", "web", ns)["metadata"]["annotations"]["autocanary.io/pending-revision"]
    return ns, revision, stable


def approve(kube, ns, token):
    kube.run("patch", "canaries.autocanary.io", "web", "-n", ns, "--type=merge", "-p",
             json.dumps({"spec": {"promote": token}}))


def test_rollout_walks_every_step_waits_for_approval_and_promotes(kube, coordinators):
    ns, revision, stable = start_rollout(kube, "walk")

    status = wait_phase(kube, ns, "web", "WaitingForApproval")
    assert status["revision"] == revision
    assert [s["description"] for s in status["steps"]] == STEPS[:5]
    assert [s.get("result") for s in status["steps"][:4]] == ["Succeeded"] * 4
    assert status["steps"][0]["message"] == "actual weight 20%", "4 stable pods + 1 canary pod"
    canary_workload = kube.get("deployment", "web-canary", ns)
    assert canary_workload["spec"]["replicas"] == 4  # 50%
    shims = [c for c in canary_workload["spec"]["template"]["spec"].get("initContainers", [])
             if c["name"] == "autocanary-shim"]
    assert len(shims) == 1, "the canary runs the readiness shim exactly once"
    assert shims[0]["restartPolicy"] == "Always" and shims[0]["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert image_of(kube.get("deployment", "web", ns)) == V1

    time.sleep(3)
    assert canary_status(kube, ns, "web")["phase"] == "WaitingForApproval", "time alone approves nothing"
    approve(kube, ns, "approve-1")

    done = wait_phase(kube, ns, "web", "Succeeded")
    assert [s["description"] for s in done["steps"]] == STEPS
    assert all(s["result"] == "Succeeded" for s in done["steps"])
    assert done["history"][-1]["outcome"] == "Succeeded"
    live = kube.get("deployment", "web", ns)
    assert image_of(live) == V2
    assert "autocanary.io/pending-revision" not in live["metadata"]["annotations"]
    assert [c["name"] for c in live["spec"]["template"]["spec"]["initContainers"]] == ["autocanary-shim"], \
        "the stable workload gets the shim with its promotion"
    wait_for(lambda: kube.run("get", "deployment", "web-canary", "-n", ns, check=False).returncode != 0,
             "the canary workload to be deleted", timeout=30)
    kube.run("wait", "--for=condition=Canary", "deployment/web", "-n", ns, "--timeout=30s")
    reasons = {e["reason"] for e in kube.get("events", namespace=ns)["items"]
               if e["involvedObject"]["name"] == "web"}
    assert {"CanaryStarted", "Promoting", "Promoted"} <= reasons


def test_failing_step_aborts_at_once_holds_the_revision_until_retried(kube, coordinators):
    ns, revision, stable = start_rollout(kube, "abort")
    wait_for(lambda: canary_status(kube, ns, "web").get("currentStep", 0) >= 1, "the canary to pass setWeight 25")

    # The canary's pod starts crash-looping.
    pod = kube.get("pods", namespace=ns, selector="autocanary.io/track=canary")["items"][0]
    container = pod["spec"]["containers"][0]
    kube.run("patch", "pod", pod["metadata"]["name"], "-n", ns, "--subresource=status", "--type=merge", "-p",
             json.dumps({"status": {"containerStatuses": [{
                 "name": container["name"], "image": container["image"], "imageID": "", "ready": False,
                 "restartCount": 5, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}}))

    status = wait_phase(kube, ns, "web", ["Aborting", "Failed"], timeout=30)
    assert "crash-looping" in status["message"]
    assert kube.get("deployment", "web-canary", ns)["spec"]["replicas"] == 0, "weight 0 at once"
    live = kube.get("deployment", "web", ns)
    assert live["metadata"]["annotations"]["autocanary.io/failed-revision"] == revision
    assert image_of(live) == V1

    failed = wait_phase(kube, ns, "web", "Failed", timeout=30)
    assert failed["history"][-1]["outcome"] == "Failed"
    wait_for(lambda: kube.run("get", "deployment", "web-canary", "-n", ns, check=False).returncode != 0,
             "the canary workload to be removed after the abort delay", timeout=30)
    assert pod_uids(kube, ns, "app=web,!autocanary.io/track") == stable, "stable pods untouched throughout"

    # Applying the failed revision again does not restart it.
    again = kube.apply(deployment("web", ns, V2, replicas=4))
    assert "failed its canary and is held" in again.stderr, again.stderr
    time.sleep(2)
    assert canary_status(kube, ns, "web")["phase"] == "Failed"
    assert kube.run("get", "deployment", "web-canary", "-n", ns, check=False).returncode != 0

    # A retry through the Canary resource does.
    kube.run("patch", "canaries.autocanary.io", "web", "-n", ns, "--type=merge", "-p",
             json.dumps({"spec": {"retry": "retry-1"}}))
    restarted = wait_phase(kube, ns, "web", ["Progressing", "WaitingForApproval"], timeout=30)
    assert restarted["revision"] == revision
    assert "autocanary.io/failed-revision" not in kube.get("deployment", "web", ns)["metadata"]["annotations"]
    wait_phase(kube, ns, "web", "WaitingForApproval")
    approve(kube, ns, "approve-after-retry")
    wait_phase(kube, ns, "web", "Succeeded")
    assert image_of(kube.get("deployment", "web", ns)) == V2


def test_coordinator_killed_at_every_step_skips_and_repeats_nothing(kube, coordinators):
    """SIGKILL the coordinator the moment the Canary records a new step (seen
    through a watch, so no recorded step is missed) and start it again. A step
    that starts and ends within one pass is never recorded as current; the
    planner's unit test crashes it between every two actions instead."""
    ns, revision, _ = start_rollout(kube, "crash")
    wait_for(lambda: canary(kube, ns, "web"), "the Canary to be created")
    watch = subprocess.Popen(
        [kube.binary, "--kubeconfig", kube.kubeconfig, "get", "canaries.autocanary.io", "web", "-n", ns, "-w",
         "-o", "jsonpath={.status.currentStep} {.status.phase}{\"\\n\"}"],
        stdout=subprocess.PIPE, text=True)
    killed_at = []
    try:
        deadline = time.monotonic() + 240
        for line in watch.stdout:
            step, _, phase = line.strip().partition(" ")
            if phase == "Succeeded" or time.monotonic() > deadline:
                break
            if not phase or (step, phase) in killed_at:
                continue
            killed_at.append((step, phase))
            coordinators.stop("a", "KILL")
            coordinators.start("a")
            if phase == "WaitingForApproval":
                approve(kube, ns, "approve-crash")
    finally:
        watch.kill()
    print(f"killed at {killed_at}")
    status = wait_phase(kube, ns, "web", "Succeeded", timeout=60)
    recorded_steps = {int(step) for step, phase in killed_at if phase != "Promoting"}
    assert len(recorded_steps) >= 4 and ("6", "Promoting") in killed_at, killed_at
    assert [s["index"] for s in status["steps"]] == list(range(len(STEPS))), "no step skipped or repeated"
    assert all(s["result"] == "Succeeded" for s in status["steps"])
    assert image_of(kube.get("deployment", "web", ns)) == V2


def test_new_revision_supersedes_the_running_canary(kube, coordinators):
    ns, first, _ = start_rollout(kube, "supersede")
    wait_phase(kube, ns, "web", "WaitingForApproval")
    v3 = "registry.example.com/shop/web:3.0.0"
    kube.apply(deployment("web", ns, v3, replicas=4))
    second = kube.get("deployment", "web", ns)["metadata"]["annotations"]["autocanary.io/pending-revision"]
    assert second != first

    status = wait_for(lambda: (s := canary_status(kube, ns, "web")).get("revision") == second and s,
                      "the canary to move to the new revision")
    assert status["history"][-1] == {**status["history"][-1], "revision": first, "outcome": "Superseded"}
    wait_phase(kube, ns, "web", "WaitingForApproval")
    assert image_of(kube.get("deployment", "web-canary", ns)) == v3
    approve(kube, ns, "approve-v3")
    wait_phase(kube, ns, "web", "Succeeded")
    assert image_of(kube.get("deployment", "web", ns)) == v3


def test_pause_resume_and_abort_through_the_canary_resource(kube, coordinators):
    ns, revision, stable = start_rollout(kube, "manual")
    wait_for(lambda: canary_status(kube, ns, "web").get("currentStep", 0) >= 1, "the first step")
    patch = lambda spec: kube.run("patch", "canaries.autocanary.io", "web", "-n", ns, "--type=merge", "-p",
                                  json.dumps({"spec": spec}))
    patch({"paused": True})
    paused = wait_phase(kube, ns, "web", "Paused", timeout=30)
    time.sleep(3)  # longer than the 2 s pause step
    assert canary_status(kube, ns, "web")["currentStep"] == paused["currentStep"], "no step while paused"

    patch({"paused": False})
    wait_phase(kube, ns, "web", "WaitingForApproval")
    patch({"abort": "stop-it"})
    aborted = wait_phase(kube, ns, "web", ["Aborting", "Failed"], timeout=30)
    assert aborted["message"].endswith("aborted on request")
    assert kube.get("deployment", "web-canary", ns)["spec"]["replicas"] == 0
    assert kube.get("deployment", "web", ns)["metadata"]["annotations"]["autocanary.io/failed-revision"] == revision
    assert pod_uids(kube, ns, "app=web,!autocanary.io/track") == stable


def test_deleting_the_deployment_mid_canary_leaves_nothing_behind(kube, coordinators):
    ns, _, _ = start_rollout(kube, "delete")
    wait_phase(kube, ns, "web", "WaitingForApproval")
    kube.run("delete", "deployment", "web", "-n", ns, "--wait=true", timeout=90)
    leftovers = lambda: (kube.get("deployments", namespace=ns)["items"] +
                         kube.get("canaries.autocanary.io", namespace=ns)["items"] +
                         kube.get("pods", namespace=ns)["items"])
    wait_for(lambda: not leftovers(), "every object of the rollout to be garbage collected", timeout=60)


def test_a_managed_deployment_where_autocanary_does_not_serve_is_never_rolled(kube, coordinators):
    # A pending revision exactly as the webhook writes it, which the coordinator rolls where it serves...
    served, revision, _ = start_rollout(kube, "served")
    wait_phase(kube, served, "web", "WaitingForApproval")
    marked = kube.get("deployment", "web", served)["metadata"]
    state = {k: v for k, v in marked["annotations"].items() if k.startswith("autocanary.io/pending-")}
    assert state["autocanary.io/pending-revision"] == revision
    # ...copied by hand, label and all, into a namespace that has not opted in (the webhook is not called there).
    ns = unique("unserved")
    kube.create_namespace(ns)
    annotations = "".join(f"\n    {key}: {json.dumps(value)}" for key, value in state.items())
    kube.apply(deployment("web", ns, V1, replicas=2).replace(
        "  labels:\n    app: web\n", f"  labels:\n    app: web\n    autocanary.io/managed: 'true'\n"
                                       f"  annotations:{annotations}\n", 1))

    reported = lambda: [e for e in kube.get("events", namespace=ns)["items"] if e["reason"] == "NamespaceNotServed"]
    event = wait_for(lambda: reported(), "the coordinator to report the Deployment", timeout=60)[0]
    assert event["type"] == "Warning" and event["involvedObject"]["name"] == "web"
    assert event["message"] == (f'autocanary ignores this Deployment: namespace "{ns}" has not opted in '
                                '(label autocanary.io/enabled=true)')
    # Woken again by a change: still nothing done, and reported once.
    kube.run("annotate", "deployment", "web", "-n", ns, "touched=1")
    kube.run("rollout", "status", "deployment/web", "-n", ns, "--timeout=60s", timeout=70)
    assert kube.get("canaries.autocanary.io", namespace=ns)["items"] == []
    assert [d["metadata"]["name"] for d in kube.get("deployments", namespace=ns)["items"]] == ["web"]
    assert image_of(kube.get("deployment", "web", ns)) == V1
    assert len(reported()) == 1


def test_only_the_leader_acts_and_a_follower_takes_over_within_20s(kube, coordinators):
    coordinators.start("b")
    lease = lambda: kube.get("lease", "autocanary-coordinator", "autocanary-system")["spec"].get("holderIdentity")
    leader = wait_for(lambda: lease() in ("a", "b") and lease(), "a leader")
    follower = "b" if leader == "a" else "a"

    ns, revision, _ = start_rollout(kube, "failover")
    wait_for(lambda: canary_status(kube, ns, "web").get("currentStep", 0) >= 1, "the leader to start the canary")
    assert coordinators.reconciles(follower) == 0, "the follower acts on nothing"

    coordinators.stop(leader, "KILL")
    killed = time.monotonic()
    wait_for(lambda: lease() == follower, "the follower to take the lease", timeout=20)
    status = wait_phase(kube, ns, "web", ["WaitingForApproval", "Succeeded"], timeout=60)
    took_over = time.monotonic() - killed
    print(f"failover: follower leading and progressing {took_over:.1f}s after the leader was killed")
    assert coordinators.reconciles(follower) > 0
    approve(kube, ns, "approve-failover")
    done = wait_phase(kube, ns, "web", "Succeeded")
    assert [s["index"] for s in done["steps"]] == list(range(len(STEPS)))
    coordinators.start(leader)

"""The coordinator's watches turn into passes only the changes its planner reads
(coordinator/event_filter.h), through the real apiserver and deployment
controller. Each pass is counted from the coordinator's own debug line
("reconcile pass", one per pass, which reads the Deployment, its canary and its
Canary): an idle Deployment's status updates cost none, while the same status
updates of a running rollout and a label change still bring one. (Any
annotation change is a pass too: the apiserver bumps a Deployment's generation
for it, as for its spec.)"""

import json
import time
from pathlib import Path

import pytest

from kube import Coordinators, deployment, unique, wait_for, wait_phase

ENABLED = {"autocanary.io/enabled": "true"}
V1 = "registry.example.com/shop/web:1.0.0"
V2 = "registry.example.com/shop/web:2.0.0"

POLICY = """
steps:
  - setWeight: 50
  - pause: {}
  - setWeight: 100
"""


@pytest.fixture(scope="module")
def coordinators(kube, webhook, tmp_path_factory):
    policy = tmp_path_factory.mktemp("policy") / "policy.yaml"
    policy.write_text(POLICY)
    replicas = Coordinators(webhook.state.parent, policy)
    replicas.start("a", "--log-level", "debug")
    yield replicas
    replicas.stop("a")


def log_lines(coordinators):
    return (Path(coordinators.run_dir) / "coordinator" / "a.log").read_text().splitlines()


def passes(coordinators, ns):
    """The passes coordinator a has made for ns/web so far."""
    count = 0
    for line in log_lines(coordinators):
        if '"reconcile pass"' not in line:
            continue
        fields = json.loads(line)
        count += fields.get("msg") == "reconcile pass" and fields.get("deployment") == f"{ns}/web"
    return count


def story(coordinators, ns):
    """What a's log says of ns and of its leadership, for a failure's message."""
    return "\n".join(line for line in log_lines(coordinators)
                     if ns in line or '"leading"' in line or "stopped leading" in line)


def settled(coordinators, ns, quiet=6.0):
    """The pass count once no pass came for `quiet` seconds (longer than the
    planner's 5 s settle recheck, so no timer is still due)."""
    last, since = passes(coordinators, ns), time.monotonic()
    deadline = since + 120
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = passes(coordinators, ns)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return now
    raise AssertionError(f"passes for {ns}/web never settled")


def replace_a_stable_pod(kube, ns):
    """Deletes a stable pod and waits until the deployment controller has
    written the Deployment's status for its replacement: status only, no spec."""
    before = kube.get("deployment", "web", ns)
    pod = kube.get("pods", namespace=ns, selector="app=web,!autocanary.io/track")["items"][0]
    kube.run("delete", "pod", pod["metadata"]["name"], "-n", ns, "--wait=false")
    wait_for(lambda: pod["metadata"]["uid"] not in
             {p["metadata"]["uid"] for p in kube.get("pods", namespace=ns, selector="app=web")["items"]},
             "the stable pod to go")
    kube.run("rollout", "status", "deployment/web", "-n", ns, "--timeout=60s", timeout=70)
    after = kube.get("deployment", "web", ns)
    assert after["metadata"]["resourceVersion"] != before["metadata"]["resourceVersion"], "its status was written"
    assert after["metadata"]["generation"] == before["metadata"]["generation"], "its spec was not"
    time.sleep(2)  # the watch event reaches the coordinator


def test_an_idle_deployments_status_updates_cost_no_pass_its_labels_do(kube, coordinators):
    ns = unique("idle")
    kube.create_namespace(ns, ENABLED)
    kube.apply(deployment("web", ns, V1, replicas=2))
    kube.run("rollout", "status", "deployment/web", "-n", ns, "--timeout=90s", timeout=100)
    wait_for(lambda: passes(coordinators, ns) > 0, "the coordinator's first pass of the new Deployment")
    quiet = settled(coordinators, ns)

    replace_a_stable_pod(kube, ns)
    assert passes(coordinators, ns) == quiet, "nothing the planner reads changed:\n" + story(coordinators, ns)

    kube.run("label", "deployment", "web", "-n", ns, "tier=frontend")
    wait_for(lambda: passes(coordinators, ns) > quiet, "a pass for the label change", timeout=20)


def test_a_running_rollouts_deployment_status_still_brings_a_pass(kube, coordinators):
    ns = unique("running")
    kube.create_namespace(ns, ENABLED)
    kube.apply(deployment("web", ns, V1, replicas=2))
    kube.run("rollout", "status", "deployment/web", "-n", ns, "--timeout=90s", timeout=100)
    kube.apply(deployment("web", ns, V2, replicas=2))
    wait_phase(kube, ns, "web", "WaitingForApproval")
    # Paused on request: the planner asks for no later look, so only an event brings a pass.
    kube.run("patch", "canaries.autocanary.io", "web", "-n", ns, "--type=merge", "-p",
             json.dumps({"spec": {"paused": True}}))
    wait_phase(kube, ns, "web", "Paused")
    quiet = settled(coordinators, ns)

    replace_a_stable_pod(kube, ns)
    assert passes(coordinators, ns) > quiet, \
        "the stable workload's status matters while a rollout runs:\n" + story(coordinators, ns)

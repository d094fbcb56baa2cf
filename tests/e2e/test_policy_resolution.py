"""Which policy a Deployment follows, through the real apiserver: the default
ClusterCanaryPolicy, the one its namespace chooses, and per-Deployment
overrides; a changed policy applies to the next rollout only."""

import json

import pytest

from kube import Coordinators, canary_status, deployment, unique, wait_for, wait_phase

V1 = "registry.example.com/shop/web:1.0.0"
V2 = "registry.example.com/shop/web:2.0.0"

DEFAULT = """apiVersion: autocanary.io/v1alpha1
kind: ClusterCanaryPolicy
metadata: {name: default}
spec:
  steps:
    - setWeight: 40
    - pause: {duration: 1s}
    - setWeight: 100
  trafficBackend: podRatio
"""
CAREFUL = """apiVersion: autocanary.io/v1alpha1
kind: ClusterCanaryPolicy
metadata: {name: careful}
spec:
  steps:
    - setWeight: 10
    - pause: {}
    - setWeight: 100
  abortScaleDownDelay: 5s
"""
# For apps that have a readiness probe: the shim is injected anyway.
ALWAYS_SHIM = """apiVersion: autocanary.io/v1alpha1
kind: ClusterCanaryPolicy
metadata: {name: always-shim}
spec:
  steps:
    - setWeight: 50
    - pause: {}
    - setWeight: 100
  shimInjection: always
  trafficBackend: podRatio
"""


# One team's policy: only namespaces labelled team=payments may use it.
PAYMENTS_ONLY = """apiVersion: autocanary.io/v1alpha1
kind: ClusterCanaryPolicy
metadata: {name: payments-only}
spec:
  namespaceSelector:
    matchLabels: {team: payments}
  steps:
    - setWeight: 20
    - pause: {}
    - setWeight: 100
"""


@pytest.fixture(scope="module")
def cluster_policies(kube, webhook):
    replicas = Coordinators(webhook.state.parent, "")
    replicas._script("setup")
    # The webhook watches policies from now on (the CRD exists).
    webhook.stop()
    webhook.start()
    kube.apply(DEFAULT)
    kube.apply(CAREFUL)
    kube.apply(ALWAYS_SHIM)
    kube.apply(PAYMENTS_ONLY)
    replicas.start("policies")
    yield kube
    replicas.stop("policies")
    kube.run("delete", "clustercanarypolicies.autocanary.io", "default", "careful", "always-shim", "payments-only",
             "--ignore-not-found")


def new_namespace(kube, prefix, policy=None, **more_labels):
    ns = unique(prefix)
    labels = {"autocanary.io/enabled": "true", **more_labels}
    if policy:
        labels["autocanary.io/policy"] = policy
    kube.create_namespace(ns, labels)
    return ns


def with_readiness_probe(manifest, probe):
    return manifest.replace("            - containerPort: 8080\n",
                            f"            - containerPort: 8080\n          readinessProbe: {json.dumps(probe)}\n", 1)


def roll(kube, ns, annotations=None, probe=None):
    def manifest(image):
        text = deployment("web", ns, image, replicas=4)
        return with_readiness_probe(text, probe) if probe else text

    kube.apply(manifest(V1))
    kube.run("rollout", "status", "deployment/web", "-n", ns, "--timeout=90s", timeout=100)
    v2 = manifest(V2)
    if annotations:
        lines = "".join(f"\n    {k}: '{v}'" for k, v in annotations.items())
        v2 = v2.replace("  labels:\n    app: web\nspec:", f"  annotations:{lines}\n  labels:\n    app: web\nspec:", 1)
    return kube.apply(v2)


def steps_of(status):
    return [s["description"] for s in status["steps"]]


def test_a_deployment_follows_the_default_policy(cluster_policies):
    kube = cluster_policies
    ns = new_namespace(kube, "default")
    roll(kube, ns)
    status = wait_phase(kube, ns, "web", "Succeeded")
    assert steps_of(status) == ["setWeight 40", "pause 1s", "setWeight 100"]
    assert status["policy"]["name"] == "default"
    assert status["policy"]["sources"]["steps"] == "ClusterCanaryPolicy/default"
    assert status["policy"]["sources"]["abortScaleDownDelay"] == "built-in"


def test_a_namespace_chooses_another_policy(cluster_policies):
    kube = cluster_policies
    ns = new_namespace(kube, "careful", policy="careful")
    roll(kube, ns)
    status = wait_phase(kube, ns, "web", "WaitingForApproval")
    assert status["policy"]["name"] == "careful"
    assert steps_of(status) == ["setWeight 10", "pause until approved"]
    kube.run("patch", "canaries.autocanary.io", "web", "-n", ns, "--type=merge", "-p",
             json.dumps({"spec": {"promote": "ok"}}))
    wait_phase(kube, ns, "web", "Succeeded")


def test_an_annotation_overrides_only_the_fields_it_names(cluster_policies):
    kube = cluster_policies
    ns = new_namespace(kube, "override", policy="careful")
    roll(kube, ns, {"autocanary.io/steps": "[{setWeight: 50}, {setWeight: 100}]"})
    status = wait_phase(kube, ns, "web", "Succeeded")
    assert steps_of(status) == ["setWeight 50", "setWeight 100"]
    sources = status["policy"]["sources"]
    assert sources["steps"] == "annotation autocanary.io/steps"
    assert sources["abortScaleDownDelay"] == "ClusterCanaryPolicy/careful"
    assert status["policy"]["spec"]["abortScaleDownDelay"] == "5s"


def test_a_malformed_annotation_is_reported_and_the_policy_applies(cluster_policies):
    kube = cluster_policies
    ns = new_namespace(kube, "malformed")
    applied = roll(kube, ns, {"autocanary.io/steps": "[{setWeight: 150}, {setWeight: 100}]"})
    assert ("autocanary: annotation autocanary.io/steps ignored: steps[0].setWeight: must be between 0 and 100, "
            "got 150") in applied.stderr, applied.stderr
    status = wait_phase(kube, ns, "web", "Succeeded")
    assert steps_of(status) == ["setWeight 40", "pause 1s", "setWeight 100"]
    reasons = {e["reason"] for e in kube.get("events", namespace=ns)["items"]}
    assert "PolicyWarning" in reasons


def test_a_policy_closed_to_the_namespace_is_refused_with_a_warning_and_the_default_applies(cluster_policies):
    kube = cluster_policies
    ns = new_namespace(kube, "borrower")
    applied = roll(kube, ns, {"autocanary.io/policy": "payments-only"})
    assert (f'autocanary: ClusterCanaryPolicy "payments-only" is not open to namespace "{ns}" (the namespace\'s '
            "labels do not match its namespaceSelector); using the default") in applied.stderr, applied.stderr
    status = wait_phase(kube, ns, "web", "Succeeded")
    assert status["policy"]["name"] == "default"
    assert steps_of(status) == ["setWeight 40", "pause 1s", "setWeight 100"]
    assert any("payments-only" in e["message"] for e in kube.get("events", namespace=ns)["items"]
               if e["reason"] == "PolicyWarning")


def test_a_policy_open_to_the_namespace_by_its_labels_applies(cluster_policies):
    kube = cluster_policies
    ns = new_namespace(kube, "payments", policy="payments-only", team="payments")
    applied = roll(kube, ns)
    assert "payments-only" not in applied.stderr, applied.stderr
    status = wait_phase(kube, ns, "web", "WaitingForApproval")
    assert status["policy"]["name"] == "payments-only"
    assert steps_of(status) == ["setWeight 20", "pause until approved"]


def test_the_apiserver_refuses_a_malformed_namespace_selector(cluster_policies):
    kube = cluster_policies
    bad = PAYMENTS_ONLY.replace("payments-only", "bad-selector").replace(
        "matchLabels: {team: payments}", "matchExpressions: [{key: team, operator: In}]")
    refused = kube.apply(bad, check=False)
    assert refused.returncode != 0
    assert "In and NotIn need values" in refused.stderr, refused.stderr


def test_a_changed_policy_applies_to_the_next_rollout_not_the_running_one(cluster_policies):
    kube = cluster_policies
    ns = new_namespace(kube, "change", policy="careful")
    roll(kube, ns)
    wait_phase(kube, ns, "web", "WaitingForApproval")
    kube.apply(CAREFUL.replace("- setWeight: 10\n    - pause: {}", "- setWeight: 30"))
    try:
        kube.run("patch", "canaries.autocanary.io", "web", "-n", ns, "--type=merge", "-p",
                 json.dumps({"spec": {"promote": "ok"}}))
        status = wait_phase(kube, ns, "web", "Succeeded")
        assert steps_of(status) == ["setWeight 10", "pause until approved", "setWeight 100"]
        # The next rollout takes the changed policy.
        kube.apply(deployment("web", ns, "registry.example.com/shop/web:3.0.0", replicas=4))
        following = wait_for(lambda: (s := canary_status(kube, ns, "web")).get("phase") == "Succeeded" and
                             s.get("revision") != status["revision"] and s, "the next rollout", timeout=90)
        assert steps_of(following) == ["setWeight 30", "setWeight 100"]
    finally:
        kube.apply(CAREFUL)


def shim_of(workload):
    shims = [c for c in workload["spec"]["template"]["spec"].get("initContainers", [])
             if c["name"] == "autocanary-shim"]
    assert len(shims) == 1, "the shim exactly once"
    return shims[0]


@pytest.mark.parametrize("scheme,command", [("HTTPS", ["/autocanary-shim-tls"]), ("HTTP", None)])
def test_an_https_probe_is_run_by_the_shim_built_with_tls(cluster_policies, scheme, command):
    kube = cluster_policies
    ns = new_namespace(kube, scheme.lower(), policy="always-shim")
    probe = {"httpGet": {"path": "/ready", "port": 8443, "scheme": scheme}, "periodSeconds": 5}
    roll(kube, ns, probe=probe)
    wait_phase(kube, ns, "web", "WaitingForApproval")
    shim = shim_of(kube.get("deployment", "web-canary", ns))
    assert shim.get("command") == command
    copied = json.loads(shim["env"][0]["value"])
    assert [p["httpGet"] for p in copied] == [probe["httpGet"]], "the app's own probe, copied"

    kube.run("patch", "canaries.autocanary.io", "web", "-n", ns, "--type=merge", "-p",
             json.dumps({"spec": {"promote": "ok"}}))
    wait_phase(kube, ns, "web", "Succeeded")
    assert shim_of(kube.get("deployment", "web", ns)).get("command") == command, "and the promoted stable"

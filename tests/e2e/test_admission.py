"""Admission through a real kube-apiserver: what a plain `kubectl apply` of
ordinary Deployments does in opted-in and other namespaces."""

import json
import re

from kube import deployment, image_of, unique, wait_for

ENABLED = {"autocanary.io/enabled": "true"}
V1 = "registry.example.com/shop/web:1.0.0"
V2 = "registry.example.com/shop/web:2.0.0"


def rollout(kube, namespace, name="web"):
    kube.run("rollout", "status", f"deployment/{name}", "-n", namespace, "--timeout=90s", timeout=100)


def replicasets(kube, namespace):
    return kube.get("replicasets", namespace=namespace)["items"]


def test_labelled_namespace_keeps_live_template_and_records_pending_revision(kube, webhook):
    ns = unique("shop")
    kube.create_namespace(ns, ENABLED)

    kube.apply(deployment("web", ns, V1))
    created = kube.get("deployment", "web", ns)
    assert created["metadata"]["labels"] == {"app": "web", "autocanary.io/managed": "true"}
    assert image_of(created) == V1
    assert created["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": "GREETING", "value": "hello"}]
    rollout(kube, ns)
    pods_before = {p["metadata"]["uid"] for p in kube.get("pods", namespace=ns)["items"]}

    applied = kube.apply(deployment("web", ns, V2))
    assert "will be rolled out as a canary" in applied.stderr, applied.stderr
    stored = kube.get("deployment", "web", ns)
    assert image_of(stored) == V1, "the live (stable) template must not change"
    annotations = stored["metadata"]["annotations"]
    assert re.fullmatch(r"[0-9a-f]{10}", annotations["autocanary.io/pending-revision"])
    pending = json.loads(annotations["autocanary.io/pending-template"])
    assert pending["spec"]["containers"][0]["image"] == V2
    # Nothing rolled: one ReplicaSet, the same pods.
    assert len(replicasets(kube, ns)) == 1
    assert {p["metadata"]["uid"] for p in kube.get("pods", namespace=ns)["items"]} == pods_before

    # Client-side re-apply of v2: kubectl sends the image again (the live one
    # differs), the webhook recognises the pending revision, nothing is stored.
    rollout(kube, ns)
    settled = kube.get("deployment", "web", ns)
    before = webhook.decisions("pending_unchanged")
    kube.apply(deployment("web", ns, V2))
    assert webhook.decisions("pending_unchanged") == before + 1
    assert kube.get("deployment", "web", ns)["metadata"]["resourceVersion"] == settled["metadata"]["resourceVersion"]


def test_server_side_reapply_of_pending_revision_is_idempotent(kube, webhook):
    ns = unique("gitops")
    kube.create_namespace(ns, ENABLED)
    ssa = ("--server-side", "--field-manager=gitops")
    kube.apply(deployment("web", ns, V1), *ssa)
    rollout(kube, ns)
    kube.apply(deployment("web", ns, V2), *ssa)
    rollout(kube, ns)  # the annotation change bumps generation; let status settle
    stored = kube.get("deployment", "web", ns)
    assert image_of(stored) == V1
    revision = stored["metadata"]["annotations"]["autocanary.io/pending-revision"]

    before = webhook.decisions("pending_unchanged")
    kube.apply(deployment("web", ns, V2), *ssa)  # a GitOps re-sync
    again = kube.get("deployment", "web", ns)
    assert webhook.decisions("pending_unchanged") == before + 1, "the re-sync must reach the webhook"
    assert again["metadata"]["resourceVersion"] == stored["metadata"]["resourceVersion"], "no churn"
    assert again["metadata"]["annotations"]["autocanary.io/pending-revision"] == revision


def test_unlabelled_kube_system_and_install_namespaces_roll_as_plain_kubernetes(kube, webhook):
    plain = unique("plain")
    kube.create_namespace(plain)
    # kube-system and autocanary's own namespace are excluded even when labelled.
    kube.create_namespace("autocanary-system", ENABLED)
    kube.run("label", "namespace", "kube-system", "autocanary.io/enabled=true", "--overwrite")
    try:
        for ns in (plain, "kube-system", "autocanary-system"):
            before = webhook.requests()
            kube.apply(deployment("web", ns, V1))
            rollout(kube, ns)
            kube.apply(deployment("web", ns, V2))
            assert image_of(kube.get("deployment", "web", ns)) == V2
            rollout(kube, ns)
            images = {rs["spec"]["template"]["spec"]["containers"][0]["image"]
                      for rs in replicasets(kube, ns) if rs["metadata"]["name"].startswith("web-")}
            assert images == {V1, V2}, "a normal rolling update creates the new ReplicaSet"
            assert webhook.requests() == before, f"the webhook must not be called for {ns}"
    finally:
        kube.run("label", "namespace", "kube-system", "autocanary.io/enabled-")
        kube.run("delete", "deployment", "web", "-n", "kube-system", "--ignore-not-found")


def test_server_dry_run_shows_the_outcome_and_stores_nothing(kube, webhook):
    ns = unique("dryrun")
    kube.create_namespace(ns, ENABLED)
    kube.apply(deployment("web", ns, V1))
    rollout(kube, ns)  # no status writes from here on
    stored = kube.get("deployment", "web", ns)

    result = kube.apply(deployment("web", ns, V2), "--dry-run=server", "-o", "json")
    preview = json.loads(result.stdout)
    assert image_of(preview) == V1
    assert "autocanary.io/pending-revision" in preview["metadata"]["annotations"]

    after = kube.get("deployment", "web", ns)
    assert after["metadata"]["resourceVersion"] == stored["metadata"]["resourceVersion"]
    assert "autocanary.io/pending-revision" not in after["metadata"].get("annotations", {})
    wait_for(lambda: any(line.get("namespace") == ns and line.get("dryRun") is True
                         for line in webhook.log_lines()), "the webhook's dryRun log line", timeout=5)


def test_scale_passes_untouched(kube, webhook):
    ns = unique("scale")
    kube.create_namespace(ns, ENABLED)
    kube.apply(deployment("web", ns, V1, replicas=2))
    rollout(kube, ns)
    template = kube.get("deployment", "web", ns)["spec"]["template"]

    before = webhook.requests()
    kube.run("scale", "deployment/web", "--replicas=4", "-n", ns)
    rollout(kube, ns)
    scaled = kube.get("deployment", "web", ns)
    assert scaled["spec"]["replicas"] == 4
    assert scaled["status"]["readyReplicas"] == 4
    assert scaled["spec"]["template"] == template
    assert webhook.requests() == before, "the scale subresource is not intercepted"

    # A replica change through the Deployment itself reaches the webhook and passes through.
    passed = webhook.decisions("pass_through")
    kube.apply(deployment("web", ns, V1, replicas=3))
    rescaled = kube.get("deployment", "web", ns)
    assert webhook.decisions("pass_through") == passed + 1
    assert rescaled["spec"]["replicas"] == 3
    assert rescaled["spec"]["template"] == template
    assert "autocanary.io/pending-revision" not in rescaled["metadata"].get("annotations", {})
    assert len(replicasets(kube, ns)) == 1

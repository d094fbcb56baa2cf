"""What users type during a canary, through the real apiserver: the change a
kubectl verb makes lands on the pending template (not the live one the stored
object shows), and applying the live manifest again (a `git revert` synced by
a GitOps tool, client-side or server-side) cancels the canary without failing
it. The contract is the table in docs/user-actions.md."""

import json

import pytest

from injector_webhook import INJECTED, InjectorWebhook
from kube import deployment, running_coordinators, unique, wait_for, wait_phase

ENABLED = {"autocanary.io/enabled": "true"}
V1 = "registry.example.com/shop/api:1.0.0"
V2 = "registry.example.com/shop/api:2.0.0"
V3 = "registry.example.com/shop/api:3.0.0"

# A canary that waits for approval at its first step, so every verb below
# lands while it runs.
POLICY = """
steps:
  - setWeight: 20
  - pause: {}
  - setWeight: 100
abortScaleDownDelay: 1s
"""


@pytest.fixture(scope="module")
def coordinators(kube, webhook, tmp_path_factory):
    yield from running_coordinators(webhook, tmp_path_factory, "verbs", POLICY)


def manifest(ns, image, mode):
    return deployment("api", ns, image, replicas=2, extra_env={"MODE": mode})


def annotations(kube, ns):
    return kube.get("deployment", "api", ns)["metadata"].get("annotations", {})


def pending_template(kube, ns):
    return json.loads(annotations(kube, ns)["autocanary.io/pending-template"])


def app_container(pod_template):
    return next(c for c in pod_template["spec"]["containers"] if c["name"] == "app")


def env(container):
    return {e["name"]: e.get("value") for e in container.get("env", [])}


def live_container(kube, ns):
    return app_container(kube.get("deployment", "api", ns)["spec"]["template"])


def canary_running(kube, ns, apply, image):
    """v1 (MODE=old) live, then v2 (image v2, MODE=new) applied with `apply`:
    waits until its canary holds at the approval pause."""
    kube.create_namespace(ns, ENABLED)
    apply(manifest(ns, V1, "old"))
    kube.run("rollout", "status", "deployment/api", "-n", ns, "--timeout=90s", timeout=100)
    apply(manifest(ns, image, "new"))
    status = wait_phase(kube, ns, "api", "WaitingForApproval")
    assert app_container(kube.get("deployment", "api-canary", ns)["spec"]["template"])["image"] == image
    return status


def client_side(kube):
    return lambda text: kube.apply(text)


def server_side(kube):
    # As Flux's kustomize-controller applies: its own field manager.
    return lambda text: kube.apply(text, "--server-side", "--field-manager=kustomize-controller")


@pytest.mark.parametrize("verb", [
    ["set", "image", "deployment/api", f"app={V3}"],
    ["patch", "deployment", "api", "--type=strategic", "-p",
     json.dumps({"spec": {"template": {"spec": {"containers": [{"name": "app", "image": V3}]}}}})],
], ids=["set-image", "patch"])
def test_an_image_change_lands_on_the_pending_template(kube, coordinators, verb):
    ns = unique("verb-image")
    first = canary_running(kube, ns, client_side(kube), V2)
    kube.run(*verb, "-n", ns)
    # The stored template is still the live one: kubectl showed the user v1.
    assert live_container(kube, ns)["image"] == V1 and env(live_container(kube, ns))["MODE"] == "old"
    pending = app_container(pending_template(kube, ns))
    assert pending["image"] == V3
    assert env(pending)["MODE"] == "new", "the pending v2's env is kept, not the live one's"
    status = wait_for(lambda: (s := kube.get("canaries.autocanary.io", "api", ns)["status"])["revision"]
                      != first["revision"] and s.get("phase") == "WaitingForApproval" and s,
                      "the canary of the new revision")
    canary = app_container(kube.get("deployment", "api-canary", ns)["spec"]["template"])
    assert canary["image"] == V3 and env(canary)["MODE"] == "new"
    assert status["revision"] == annotations(kube, ns)["autocanary.io/pending-revision"]


def test_set_env_keeps_the_pending_image(kube, coordinators):
    ns = unique("verb-env")
    canary_running(kube, ns, client_side(kube), V2)
    kube.run("set", "env", "deployment/api", "-n", ns, "FEATURE=on")
    pending = app_container(pending_template(kube, ns))
    assert pending["image"] == V2
    assert env(pending) == {"GREETING": "hello", "MODE": "new", "FEATURE": "on"}
    assert "FEATURE" not in env(live_container(kube, ns))


def test_a_label_changes_no_revision(kube, coordinators):
    ns = unique("verb-label")
    status = canary_running(kube, ns, client_side(kube), V2)
    before = annotations(kube, ns)["autocanary.io/pending-revision"]
    kube.run("label", "deployment", "api", "-n", ns, "team=shop")
    kube.run("annotate", "deployment", "api", "-n", ns, "owner=alice")
    assert annotations(kube, ns)["autocanary.io/pending-revision"] == before == status["revision"]
    assert kube.get("canaries.autocanary.io", "api", ns)["status"]["phase"] == "WaitingForApproval"


def test_a_typo_in_an_annotation_is_answered_on_the_command_that_made_it(kube, coordinators):
    """`kubectl annotate` changes no template, so no canary starts; what was
    wrong with the annotation is still said to the user who typed it, not only
    at the next rollout, and the canary under way is not disturbed."""
    ns = unique("verb-typo")
    status = canary_running(kube, ns, client_side(kube), V2)
    typo = kube.run("annotate", "deployment", "api", "-n", ns, "autocanary.io/stpes=[{setWeight: 50}]")
    assert "Warning: autocanary: annotation autocanary.io/stpes is not one autocanary reads; it is ignored " \
           "(did you mean autocanary.io/steps?)" in typo.stderr, typo.stderr
    bad_value = kube.run("annotate", "deployment", "api", "-n", ns, "autocanary.io/steps=[{setWeight: 500}]")
    assert "Warning: autocanary: annotation autocanary.io/steps ignored: steps[0].setWeight: must be between " \
           "0 and 100, got 500" in bad_value.stderr, bad_value.stderr
    skip = kube.run("annotate", "deployment", "api", "-n", ns, "autocanary.io/skip=yes")
    assert 'only "true" opts this Deployment out, so it stays managed' in skip.stderr, skip.stderr
    # The same annotations again (a GitOps sync of them): nothing new to say.
    again = kube.run("annotate", "deployment", "api", "-n", ns, "--overwrite", "autocanary.io/stpes=[{setWeight: 50}]")
    assert "Warning" not in again.stderr, again.stderr
    assert annotations(kube, ns)["autocanary.io/pending-revision"] == status["revision"]
    assert kube.get("canaries.autocanary.io", "api", ns)["status"]["phase"] == "WaitingForApproval"


def test_a_namespace_labelled_yes_is_told_it_is_not_opted_in(kube, coordinators):
    """`autocanary.io/enabled=yes` matches no namespaceSelector, so the namespace
    would get plain rollouts in silence: the `kubectl label` that set it is told."""
    ns = unique("verb-label")
    kube.create_namespace(ns)
    try:
        labelled = kube.run("label", "namespace", ns, "autocanary.io/enabled=yes")
        assert (f'Warning: autocanary: namespace {ns} is labelled autocanary.io/enabled=yes: only "true" opts it in, '
                f"so its Deployments roll out without a canary (kubectl label namespace {ns} "
                "autocanary.io/enabled=true --overwrite)") in labelled.stderr, labelled.stderr
        # A later write of the namespace that keeps the value: said once is enough.
        other = kube.run("label", "namespace", ns, "team=a")
        assert "Warning" not in other.stderr, other.stderr
        fixed = kube.run("label", "namespace", ns, "--overwrite", "autocanary.io/enabled=true")
        assert "Warning" not in fixed.stderr, fixed.stderr
        # Opted in now: a Deployment created there is managed.
        kube.apply(manifest(ns, V1, "old"))
        assert kube.get("deployment", "api", ns)["metadata"]["labels"].get("autocanary.io/managed") == "true"
    finally:
        kube.run("delete", "namespace", ns, "--wait=false", check=False)


@pytest.mark.parametrize("how", ["client-side", "server-side"])
def test_applying_the_live_manifest_again_cancels_the_canary(kube, coordinators, how):
    ns = unique(f"revert-{how}")
    apply = client_side(kube) if how == "client-side" else server_side(kube)
    canary_running(kube, ns, apply, V2)
    stable_rv = kube.get("deployment", "api", ns)["spec"]["template"]
    reverted = apply(manifest(ns, V1, "old"))
    assert "is cancelled" in reverted.stderr, reverted.stderr  # the warning kubectl prints
    assert "autocanary.io/pending-revision" not in annotations(kube, ns)
    assert "autocanary.io/failed-revision" not in annotations(kube, ns), "a revert is not a failure"
    status = wait_phase(kube, ns, "api", "Cancelled")
    assert status["canaryWeight"] == 0
    assert status["history"][-1]["outcome"] == "Cancelled"
    wait_for(lambda: kube.run("get", "deployment", "api-canary", "-n", ns, check=False).returncode != 0,
             "the canary workload removed")
    assert kube.get("deployment", "api", ns)["spec"]["template"] == stable_rv, "the live pods never rolled"
    events = [e for e in kube.get("events", namespace=ns)["items"] if e["reason"] == "CanaryCancelled"]
    assert events and events[0]["type"] == "Normal", events
    # Nothing is held: the same v2 applied again is a canary again.
    apply(manifest(ns, V2, "new"))
    wait_phase(kube, ns, "api", "WaitingForApproval")


def test_a_users_deployment_named_like_the_canary_is_never_touched(kube, coordinators):
    ns = unique("verb-taken")
    kube.create_namespace(ns, ENABLED)
    kube.apply(manifest(ns, V1, "old"))
    kube.run("rollout", "status", "deployment/api", "-n", ns, "--timeout=90s", timeout=100)
    # The team's own Deployment that happens to be called api-canary (annotated
    # to skip: it is theirs to roll as they like).
    theirs = deployment("api-canary", ns, "registry.example.com/shop/probe:1.0.0", replicas=1).replace(
        "  labels:\n    app: api-canary\nspec:",
        "  labels:\n    app: api-canary\n  annotations:\n    autocanary.io/skip: \"true\"\nspec:", 1)
    kube.apply(theirs)
    kube.run("rollout", "status", "deployment/api-canary", "-n", ns, "--timeout=90s", timeout=100)
    before = kube.get("deployment", "api-canary", ns)
    kube.apply(manifest(ns, V2, "new"))
    events = lambda: [e for e in kube.get("events", namespace=ns)["items"] if e["reason"] == "CanaryNameTaken"]
    found = wait_for(events, "a CanaryNameTaken event")
    assert found[0]["type"] == "Warning" and "renamed or deleted" in found[0]["message"], found
    after = kube.get("deployment", "api-canary", ns)
    # Its status is the deployment controller's to write; nothing else of it changes.
    assert after["metadata"]["generation"] == before["metadata"]["generation"], "its spec never written"
    assert after["spec"] == before["spec"]
    assert after["metadata"].get("labels") == before["metadata"].get("labels")
    assert after["metadata"].get("annotations") == before["metadata"].get("annotations")
    assert after["metadata"].get("ownerReferences") == before["metadata"].get("ownerReferences")
    # Once it is gone, the canary runs.
    kube.run("delete", "deployment", "api-canary", "-n", ns, "--wait=true", timeout=70)
    wait_phase(kube, ns, "api", "WaitingForApproval", timeout=120)


def v2_under_a_pod_quota(kube, ns, pods):
    """v1 live in a namespace whose ResourceQuota allows `pods` pods, then v2
    applied; both with progressDeadlineSeconds: 10."""
    kube.create_namespace(ns, ENABLED)
    kube.apply(f"""apiVersion: v1
kind: ResourceQuota
metadata: {{name: pods, namespace: {ns}}}
spec: {{hard: {{pods: "{pods}"}}}}
""")
    with_deadline = lambda text: text.replace("spec:\n  replicas: 2", "spec:\n  progressDeadlineSeconds: 10\n  replicas: 2", 1)
    kube.apply(with_deadline(manifest(ns, V1, "old")))
    kube.run("rollout", "status", "deployment/api", "-n", ns, "--timeout=90s", timeout=100)
    kube.apply(with_deadline(manifest(ns, V2, "new")))


def test_a_canary_that_cannot_start_ends_at_the_progress_deadline(kube, coordinators):
    """A quota leaves no room for the canary's pod: the rollout ends after the
    Deployment's progressDeadlineSeconds with the reason, instead of waiting forever."""
    ns = unique("verb-deadline")
    v2_under_a_pod_quota(kube, ns, 2)
    status = wait_phase(kube, ns, "api", ["Aborting", "Failed"], timeout=90)
    assert "no progress within the progress deadline (10s)" in status["message"], status["message"]
    assert "0 of 1 pods Ready" in status["message"] and "were not created" in status["message"], status["message"]
    assert annotations(kube, ns)["autocanary.io/failed-revision"] == status["revision"]
    assert live_container(kube, ns)["image"] == V1, "the live pods never rolled"


def test_scaling_the_deployment_mid_canary_resizes_the_canary(kube, coordinators):
    """`kubectl scale` (an HPA does the same through the scale subresource):
    the canary follows, so its share of the pods stays the weight."""
    ns = unique("verb-scale")
    status = canary_running(kube, ns, client_side(kube), V2)
    assert kube.get("deployment", "api-canary", ns)["spec"]["replicas"] == 1  # 20% beside 2 stable pods
    assert status["actualWeight"] == 33
    kube.run("scale", "deployment/api", "-n", ns, "--replicas=8")
    wait_for(lambda: kube.get("deployment", "api-canary", ns)["spec"]["replicas"] == 2,
             "the canary resized to 2 pods beside 8 (20%)")
    assert "autocanary.io/pending-revision" in annotations(kube, ns)
    assert kube.get("canaries.autocanary.io", "api", ns)["status"]["phase"] == "WaitingForApproval"


def test_a_paused_deployment_starts_no_canary_until_resumed(kube, coordinators):
    ns = unique("verb-pause")
    kube.create_namespace(ns, ENABLED)
    kube.apply(manifest(ns, V1, "old"))
    kube.run("rollout", "status", "deployment/api", "-n", ns, "--timeout=90s", timeout=100)
    kube.run("rollout", "pause", "deployment/api", "-n", ns)
    kube.apply(manifest(ns, V2, "new"))
    status = wait_phase(kube, ns, "api", "Paused")
    assert "kubectl rollout resume deployment/api" in status["message"], status["message"]
    assert kube.run("get", "deployment", "api-canary", "-n", ns, check=False).returncode != 0, "no canary"
    kube.run("rollout", "resume", "deployment/api", "-n", ns)
    wait_phase(kube, ns, "api", "WaitingForApproval")
    assert app_container(kube.get("deployment", "api-canary", ns)["spec"]["template"])["image"] == V2


def test_a_recreate_deployment_rolls_as_usual_with_a_warning(kube, coordinators):
    ns = unique("verb-recreate")
    kube.create_namespace(ns, ENABLED)
    recreate = lambda text: text.replace("spec:\n  replicas: 2", "spec:\n  strategy: {type: Recreate}\n  replicas: 2", 1)
    kube.apply(recreate(manifest(ns, V1, "old")))
    kube.run("rollout", "status", "deployment/api", "-n", ns, "--timeout=90s", timeout=100)
    applied = kube.apply(recreate(manifest(ns, V2, "new")))
    assert "strategy Recreate" in applied.stderr, applied.stderr
    assert live_container(kube, ns)["image"] == V2, "the Deployment itself rolls"
    assert "autocanary.io/pending-revision" not in annotations(kube, ns)
    kube.run("rollout", "status", "deployment/api", "-n", ns, "--timeout=90s", timeout=100)
    assert kube.run("get", "deployment", "api-canary", "-n", ns, check=False).returncode != 0, "no canary"
    # Where the cluster's policy opts Recreate Deployments in, a change is a canary.
    kube.apply("""apiVersion: autocanary.io/v1alpha1
kind: ClusterCanaryPolicy
metadata: {name: default}
spec:
  steps: [{setWeight: 20}, {pause: {}}, {setWeight: 100}]
  recreateDeployments: canary
""")
    try:
        # The webhook follows policies by a watch: a probe Deployment tells when it has this one.
        probe = unique("verb-recreate-probe")
        kube.create_namespace(probe, ENABLED)
        kube.apply(recreate(manifest(probe, V1, "probe")))  # a CREATE: never warned
        tries = iter(range(1000))
        wait_for(lambda: "strategy Recreate" not in kube.apply(
            recreate(manifest(probe, f"{V1}-{next(tries)}", "probe"))).stderr, "the webhook has the policy")
        applied = kube.apply(recreate(manifest(ns, V3, "newer")))
        assert "strategy Recreate" not in applied.stderr, applied.stderr
        assert live_container(kube, ns)["image"] == V2, "the live pods stay"
        wait_phase(kube, ns, "api", "WaitingForApproval")
        assert app_container(kube.get("deployment", "api-canary", ns)["spec"]["template"])["image"] == V3
    finally:
        kube.run("delete", "clustercanarypolicies.autocanary.io", "default", "--ignore-not-found")


def test_rollout_undo_mid_canary_is_a_canary_of_the_previous_revision(kube, coordinators):
    """`kubectl rollout undo` sends a whole older template (the previous
    ReplicaSet's): it supersedes the pending revision as written, not merged."""
    ns = unique("verb-undo")
    kube.create_namespace(ns, ENABLED)
    v0 = "registry.example.com/shop/api:0.9.0"
    kube.apply(manifest(ns, v0, "older"))
    kube.run("rollout", "status", "deployment/api", "-n", ns, "--timeout=90s", timeout=100)
    kube.apply(manifest(ns, V1, "old"))  # a canary, promoted: v0 becomes the previous revision
    wait_phase(kube, ns, "api", "WaitingForApproval")
    kube.run("patch", "canaries.autocanary.io", "api", "-n", ns, "--type=merge", "-p",
             json.dumps({"spec": {"promote": "v1"}}))
    wait_phase(kube, ns, "api", "Succeeded", timeout=120)
    kube.apply(manifest(ns, V2, "new"))
    wait_for(lambda: kube.get("canaries.autocanary.io", "api", ns)["status"].get("phase") == "WaitingForApproval",
             "the canary of v2")
    kube.run("rollout", "undo", "deployment/api", "-n", ns)
    pending = app_container(pending_template(kube, ns))
    assert pending["image"] == v0 and env(pending)["MODE"] == "older", pending
    assert live_container(kube, ns)["image"] == V1, "the live pods do not roll"
    wait_for(lambda: app_container(kube.get("deployment", "api-canary", ns)["spec"]["template"])["image"] == v0,
             "the canary of the previous revision")


def test_rollout_restart_mid_canary_restarts_the_canary(kube, coordinators):
    """Under the default `rolloutRestart: canary`, the restart stamp lands on the
    pending template: the canary restarts as a new revision, the live pods stay."""
    ns = unique("verb-restart")
    first = canary_running(kube, ns, client_side(kube), V2)
    live_before = kube.get("deployment", "api", ns)["spec"]["template"]
    kube.run("rollout", "restart", "deployment/api", "-n", ns)
    pending = pending_template(kube, ns)
    assert "kubectl.kubernetes.io/restartedAt" in pending["metadata"].get("annotations", {}), pending["metadata"]
    assert app_container(pending)["image"] == V2 and env(app_container(pending))["MODE"] == "new"
    assert kube.get("deployment", "api", ns)["spec"]["template"] == live_before, "the live pods do not restart"
    status = wait_for(lambda: (s := kube.get("canaries.autocanary.io", "api", ns)["status"])["revision"]
                      != first["revision"] and s.get("phase") == "WaitingForApproval" and s,
                      "the canary of the restarted revision")
    canary = kube.get("deployment", "api-canary", ns)["spec"]["template"]
    assert "kubectl.kubernetes.io/restartedAt" in canary["metadata"].get("annotations", {})
    assert status["revision"] == annotations(kube, ns)["autocanary.io/pending-revision"]


def test_replacing_with_the_live_file_keeps_the_canary(kube, coordinators, tmp_path):
    """`kubectl replace -f` is a PUT, as a controller's read-modify-write is: it is
    taken as an imperative change, so the live file changes nothing pending, and
    our annotations it lacks are kept."""
    ns = unique("verb-replace")
    status = canary_running(kube, ns, client_side(kube), V2)
    path = tmp_path / "api.yaml"
    path.write_text(manifest(ns, V1, "old"))
    kube.run("replace", "-f", str(path))
    assert annotations(kube, ns)["autocanary.io/pending-revision"] == status["revision"]
    assert app_container(pending_template(kube, ns))["image"] == V2
    assert kube.get("canaries.autocanary.io", "api", ns)["status"]["phase"] == "WaitingForApproval"
    assert not [e for e in kube.get("events", namespace=ns)["items"] if e["reason"] == "CanaryCancelled"]
    # A replace that does change the template changes the pending one.
    path.write_text(manifest(ns, V3, "old"))
    kube.run("replace", "-f", str(path))
    pending = app_container(pending_template(kube, ns))
    assert pending["image"] == V3 and env(pending)["MODE"] == "new", pending


def test_an_exported_manifest_applied_later_does_not_re_arm_its_revision(kube, coordinators, tmp_path):
    """`kubectl get -o yaml` taken while v2 was pending, applied after v2 was
    promoted: its copy of our pending record is dropped with a warning, and what
    it asks for is its template (the v1 it showed), a canary like any other."""
    ns = unique("verb-export")
    status = canary_running(kube, ns, client_side(kube), V2)
    exported = kube.get("deployment", "api", ns)
    kube.run("patch", "canaries.autocanary.io", "api", "-n", ns, "--type=merge", "-p",
             json.dumps({"spec": {"promote": status["revision"]}}))
    wait_phase(kube, ns, "api", "Succeeded", timeout=120)
    assert live_container(kube, ns)["image"] == V2
    # What a user keeps of an export: no server-set fields.
    for field in ("resourceVersion", "uid", "creationTimestamp", "generation", "managedFields"):
        exported["metadata"].pop(field, None)
    exported.pop("status", None)
    assert exported["metadata"]["annotations"]["autocanary.io/pending-revision"] == status["revision"]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(exported))
    applied = kube.run("apply", "-f", str(path))
    assert "autocanary.io/pending-revision is kept by autocanary; your change to it was reverted" in applied.stderr, \
        applied.stderr
    after = annotations(kube, ns)
    assert after.get("autocanary.io/pending-revision") != status["revision"], "v2 re-armed"
    assert live_container(kube, ns)["image"] == V2, "the live pods are v2 still"
    pending = app_container(pending_template(kube, ns))
    assert pending["image"] == V1, "the export's own template is what it asks for"
    wait_for(lambda: kube.get("canaries.autocanary.io", "api", ns)["status"].get("revision")
             == after["autocanary.io/pending-revision"], "a canary of the exported template")


def test_a_promotion_another_webhook_mutates_is_a_promotion(kube, coordinators, tmp_path):
    """An injector stamps every Deployment's pod template as it is written,
    the promotion's write included: what is stored is the revision plus the
    stamp, which is still the promotion, not a cancellation."""
    ns = unique("verb-injector")
    with InjectorWebhook(kube, tmp_path, ns):
        kube.create_namespace(ns, {**ENABLED, "injector-test": ns})
        kube.apply(manifest(ns, V1, "old"))
        kube.run("rollout", "status", "deployment/api", "-n", ns, "--timeout=90s", timeout=100)
        stamped = lambda template: template["metadata"].get("annotations", {}).get(INJECTED) == "true"
        assert stamped(kube.get("deployment", "api", ns)["spec"]["template"]), "the injector runs"
        kube.apply(manifest(ns, V2, "new"))
        status = wait_phase(kube, ns, "api", "WaitingForApproval")
        assert stamped(kube.get("deployment", "api-canary", ns)["spec"]["template"])
        kube.run("patch", "canaries.autocanary.io", "api", "-n", ns, "--type=merge", "-p",
                 json.dumps({"spec": {"promote": status["revision"]}}))
        done = wait_phase(kube, ns, "api", ["Succeeded", "Cancelled", "Failed"], timeout=120)
        assert done["phase"] == "Succeeded", done
        live = kube.get("deployment", "api", ns)["spec"]["template"]
        assert app_container(live)["image"] == V2 and env(app_container(live))["MODE"] == "new"
        assert stamped(live), "the injector's stamp stays on the promoted template"
        assert "autocanary.io/pending-revision" not in annotations(kube, ns)


def test_a_promotion_whose_rollout_stalls_ends_with_the_controllers_reason(kube, coordinators):
    """The namespace's quota has room for the canary at full weight (2 pods
    beside 2) but not for the promotion's surge pod: the Deployment's own rollout makes no progress, the deployment
    controller says so at its progressDeadlineSeconds, and the canary ends with
    that reason instead of waiting forever in Promoting."""
    ns = unique("verb-stall")
    v2_under_a_pod_quota(kube, ns, 4)
    status = wait_phase(kube, ns, "api", "WaitingForApproval")
    kube.run("patch", "canaries.autocanary.io", "api", "-n", ns, "--type=merge", "-p",
             json.dumps({"spec": {"promote": status["revision"]}}))
    wait_phase(kube, ns, "api", "Promoting", timeout=60)
    done = wait_phase(kube, ns, "api", ["Failed", "Succeeded"], timeout=120)
    assert done["phase"] == "Failed", done
    assert "rollout of it stalled" in done["message"] and "timed out progressing" in done["message"], done["message"]
    events = [e for e in kube.get("events", namespace=ns)["items"] if e["reason"] == "PromotionStalled"]
    assert events and events[0]["type"] == "Warning", events
    assert "autocanary.io/failed-revision" not in annotations(kube, ns), "the live revision is not held"
    assert live_container(kube, ns)["image"] == V2, "the promotion itself stands"

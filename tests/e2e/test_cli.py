"""kubectl-autocanary through the real apiserver: every subcommand against
canaries in each state (golden text with the volatile fields masked), the exit
codes of `status`, `get --watch` redrawing on a step change in a pseudo-terminal,
who may steer (a namespace's `edit` role promotes and aborts, its `view` role
reads and is refused with a readable message), the Canary's conditions, and the
Argo CD health checks run by Lua 5.1 against the objects the apiserver returns."""

import json
import os
import pty
import re
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from analysis_servers import Gate
from kube import ROOT, running_coordinators, unique, wait_for, wait_phase

ENABLED = {"autocanary.io/enabled": "true"}
V1 = "registry.example.com/shop/web:1.0.0"
V2 = "registry.example.com/shop/web:2.0.0"
PLUGIN = ROOT / os.environ.get("BUILD_DIR", "build") / "cli" / "kubectl-autocanary"
GOLDEN = Path(__file__).parent / "golden" / "cli"
LUA = shutil.which("lua5.1")
CACHE = Path(os.environ.get("AUTOCANARY_CACHE", Path.home() / ".cache/autocanary"))

# The Deployments override the steps (annotation autocanary.io/steps); the gate
# is the analysis a failing canary runs.
POLICY = """
steps:
  - setWeight: 20
  - pause: {}
  - setWeight: 100
abortScaleDownDelay: 1s
analyses:
  - name: gate
    provider: http
    http: {url: "GATE_URL", timeout: 2s, retries: 0}
    interval: 1s
    count: 1
    failureLimit: 0
"""
WAITING = "[{setWeight: 20}, {pause: {}}, {setWeight: 100}]"
TIMED = "[{setWeight: 20}, {pause: {duration: 1h}}, {setWeight: 100}]"
GATED = "[{setWeight: 20}, {analysis: {names: [gate]}}, {setWeight: 100}]"
TWO_PAUSES = "[{setWeight: 20}, {pause: {}}, {setWeight: 50}, {pause: {}}, {setWeight: 100}]"


def manifest(name, ns, image, steps):
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {ns}
  annotations:
    autocanary.io/steps: "{steps}"
spec:
  replicas: 2
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
        - name: app
          image: {image}
          ports: [{{containerPort: 8080}}]
"""


class Plugin:
    """Runs build/cli/kubectl-autocanary with a kubeconfig (the admin's, or a
    ServiceAccount's token kubeconfig)."""

    def __init__(self, kubeconfig):
        self.kubeconfig = kubeconfig

    def run(self, *args, timeout=90):
        assert PLUGIN.is_file(), f"{PLUGIN} is missing: build the project first"
        return subprocess.run([str(PLUGIN), "--kubeconfig", self.kubeconfig, *args], capture_output=True, text=True,
                              timeout=timeout)


def mask(text, ns):
    """The golden form: the namespace, revisions, ReplicaSet and pod hashes,
    ages and durations, ports and timestamps replaced by stable words."""
    text = text.replace(ns, "NS")
    # ReplicaSets are <deployment>-<pod-template-hash>, pods <replicaset>-<5 characters>.
    text = re.sub(r"\b(web-[a-z-]+?(?:-canary)?)-[bcdfghjklmnpqrstvwxz2456789]{6,10}-[a-z0-9]{5}\b", r"\1-HASH-POD",
                  text)
    text = re.sub(r"\b(web-[a-z-]+?(?:-canary)?)-[bcdfghjklmnpqrstvwxz2456789]{6,10}\b", r"\1-HASH", text)
    text = re.sub(r"\b[0-9a-f]{10}\b", "REV", text)
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "TIME", text)
    text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text)
    text = re.sub(r"\b\d+(d|h|m|s)(\d+(h|m|s))?\b", "DUR", text)
    # Columns widen with the masked values' real widths: compare words, not spaces.
    return "\n".join(re.sub(r" {2,}", "  ", line).rstrip() for line in text.splitlines()) + "\n"


def golden(name, text):
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert path.is_file(), f"{path} is missing (UPDATE_GOLDEN=1 writes it)"
    assert text == path.read_text(), f"{name} differs from {path}:\n{text}"


def canary_object(kube, ns, name):
    return json.loads(kube.run("get", "canaries.autocanary.io", name, "-n", ns, "-o", "json").stdout)


def settled(kube, ns, name, phase):
    """The canary in `phase` with its canary workload's pods all Ready (or none),
    so the pod ratio and the tree are what they will stay."""
    def check():
        status = canary_object(kube, ns, name).get("status", {})
        if status.get("phase") != phase:
            return None
        result = kube.run("get", "deployment", f"{name}-canary", "-n", ns, "-o", "json", check=False)
        if result.returncode == 0:
            canary = json.loads(result.stdout)
            if canary["status"].get("readyReplicas", 0) != canary["spec"]["replicas"]:
                return None
            if canary["status"].get("replicas", 0) != canary["spec"]["replicas"]:
                return None
        return status
    return wait_for(check, f"canary {ns}/{name} settled in {phase}", timeout=120)


def roll(kube, ns, name, steps):
    kube.apply(manifest(name, ns, V1, steps))
    kube.run("rollout", "status", f"deployment/{name}", "-n", ns, "--timeout=90s", timeout=100)
    kube.apply(manifest(name, ns, V2, steps))


def token_kubeconfig(kube, ns, account, path):
    """A kubeconfig authenticating as ServiceAccount `account` of `ns`."""
    token = kube.run("create", "token", account, "-n", ns, "--duration=2h").stdout.strip()
    server = kube.run("config", "view", "--raw", "-o", "jsonpath={.clusters[0].cluster.server}").stdout
    ca = kube.run("config", "view", "--raw", "-o",
                  "jsonpath={.clusters[0].cluster.certificate-authority-data}").stdout
    path.write_text(f"""apiVersion: v1
kind: Config
clusters: [{{name: local, cluster: {{server: "{server}", certificate-authority-data: "{ca}"}}}}]
users: [{{name: {account}, user: {{token: "{token}"}}}}]
contexts: [{{name: {account}, context: {{cluster: local, user: {account}, namespace: {ns}}}}}]
current-context: {account}
""")
    return str(path)


@pytest.fixture(scope="module")
def gate():
    server = Gate()
    server.status = 500
    yield server
    server.close()


@pytest.fixture(scope="module")
def cluster(kube, webhook, gate, tmp_path_factory):
    """Coordinators, the chart's user-facing ClusterRoles, and one namespace
    holding a canary in each state."""
    helm = CACHE / "bin/helm"
    home = tmp_path_factory.mktemp("helm-home")
    rendered = subprocess.run(
        [str(helm), "template", "autocanary", str(ROOT / "charts/autocanary"), "--namespace", "autocanary-system",
         "--show-only", "templates/user-roles.yaml"],
        capture_output=True, text=True, check=True,
        env={**os.environ, "HELM_CACHE_HOME": str(home), "HELM_CONFIG_HOME": str(home), "HELM_DATA_HOME": str(home)})
    kube.apply(rendered.stdout)
    coordinators = running_coordinators(webhook, tmp_path_factory, "cli", POLICY.replace("GATE_URL", gate.url))
    replicas = next(coordinators)
    ns = unique("cli")
    kube.create_namespace(ns, ENABLED)
    for name, steps in (("web-waiting", WAITING), ("web-progressing", TIMED), ("web-paused", TIMED),
                        ("web-done", WAITING), ("web-aborted", WAITING), ("web-failed", GATED)):
        roll(kube, ns, name, steps)
    yield kube, ns, replicas
    next(coordinators, None)  # stops them (and checks the apiserver refused them nothing)


@pytest.fixture(scope="module")
def states(cluster, tmp_path_factory):
    """Drives the canaries of the namespace into their states through the plugin
    itself: the admin's kubeconfig; returns the admin's Plugin."""
    kube, ns, _ = cluster
    admin = Plugin(kube.kubeconfig)
    settled(kube, ns, "web-waiting", "WaitingForApproval")
    settled(kube, ns, "web-progressing", "Progressing")
    settled(kube, ns, "web-paused", "Progressing")
    result = admin.run("pause", "web-paused", "-n", ns)
    assert result.returncode == 0, result.stderr
    settled(kube, ns, "web-done", "WaitingForApproval")
    result = admin.run("promote", "web-done", "-n", ns)
    assert result.returncode == 0, result.stderr
    settled(kube, ns, "web-aborted", "WaitingForApproval")
    result = admin.run("abort", "web-aborted", "-n", ns)
    assert result.returncode == 0, result.stderr
    wait_phase(kube, ns, "web-failed", "Failed", timeout=120)
    settled(kube, ns, "web-paused", "Paused")
    settled(kube, ns, "web-done", "Succeeded")
    settled(kube, ns, "web-aborted", "Failed")
    settled(kube, ns, "web-failed", "Failed")
    return admin


NAMES = ["web-aborted", "web-done", "web-failed", "web-paused", "web-progressing", "web-waiting"]


def test_list_shows_every_canary_of_the_namespace(cluster, states):
    kube, ns, _ = cluster
    result = states.run("list", "-n", ns)
    assert result.returncode == 0, result.stderr
    golden("list", mask(result.stdout, ns))
    everywhere = states.run("list", "-A")
    assert everywhere.returncode == 0, everywhere.stderr
    lines = [line.split() for line in everywhere.stdout.splitlines()]
    assert lines[0][:3] == ["NAMESPACE", "NAME", "PHASE"]
    assert sorted(line[1] for line in lines[1:] if line[0] == ns) == NAMES


def test_list_as_kubectl_plugin(cluster, states, tmp_path):
    """kubectl finds kubectl-autocanary on PATH and runs it as `kubectl autocanary`."""
    kube, ns, _ = cluster
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "kubectl-autocanary").symlink_to(PLUGIN)
    result = subprocess.run([kube.binary, "autocanary", "list", "-n", ns], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}",
                                 "KUBECONFIG": kube.kubeconfig})
    assert result.returncode == 0, result.stderr
    assert mask(result.stdout, ns) == (GOLDEN / "list.txt").read_text()


@pytest.mark.parametrize("name", NAMES)
def test_get_draws_the_tree_of_each_state(cluster, states, name):
    kube, ns, _ = cluster
    result = states.run("get", name, "-n", ns)
    assert result.returncode == 0, result.stderr
    assert "\033" not in result.stdout, "piped output has no colours"
    golden(f"get-{name}", mask(result.stdout, ns))


def test_get_prints_the_canary_as_json_and_yaml(cluster, states):
    kube, ns, _ = cluster
    as_json = json.loads(states.run("get", "web-waiting", "-n", ns, "-o", "json").stdout)
    assert as_json["kind"] == "Canary" and as_json["status"]["phase"] == "WaitingForApproval"
    import yaml
    as_yaml = yaml.safe_load(states.run("get", "web-waiting", "-n", ns, "-o", "yaml").stdout)
    assert as_yaml["status"] == as_json["status"]
    assert as_yaml["metadata"]["name"] == "web-waiting"


def test_steering_refuses_what_the_state_does_not_take(cluster, states):
    kube, ns, _ = cluster
    cases = [
        ("promote", "web-done", "nothing to promote: the canary of revision REV has ended (Succeeded)"),
        ("abort", "web-aborted", "nothing to abort: the canary of revision REV has ended (Failed)"),
        ("retry", "web-waiting", "nothing to retry: the canary is WaitingForApproval; retry takes a canary that failed"),
        ("pause", "web-failed", "nothing to pause: the canary of revision REV has ended (Failed)"),
    ]
    for verb, name, why in cases:
        result = states.run(verb, name, "-n", ns)
        assert result.returncode == 1, (verb, name, result.stdout)
        assert mask(result.stderr, ns) == f"canary NS/{name}: refused: {why}\n"
    result = states.run("resume", "web-waiting", "-n", ns)
    assert result.returncode == 0
    assert result.stdout == f"canary {ns}/web-waiting: not paused (spec.paused is not set); nothing to resume\n"
    missing = states.run("get", "web-nope", "-n", ns)
    assert missing.returncode == 1
    assert missing.stderr.startswith(f"no canary web-nope in namespace {ns}")


def test_a_namespace_that_is_not_opted_in_is_named_as_the_reason_for_no_canaries(cluster, states):
    """The first thing a user types when nothing happened: the plugin says why
    (here a typo of the label's key) and how to opt in; and a canary left in a
    namespace that opted out mid-canary says it will not move."""
    kube, _, _ = cluster
    ns = unique("cli-typo")
    kube.create_namespace(ns, {"autocanary.io/enable": "true"})
    try:
        fix = f"kubectl label namespace {ns} autocanary.io/enabled=true"
        listed = states.run("list", "-n", ns)
        assert listed.returncode == 0, listed.stderr
        assert listed.stderr == (f"No canaries found in namespace {ns}.\nnamespace {ns} has label autocanary.io/enable: "
                                 f"did you mean autocanary.io/enabled? ({fix})\n")
        got = states.run("get", "web", "-n", ns)
        assert got.returncode == 1
        assert got.stderr.startswith(f"Warning: namespace {ns} has label autocanary.io/enable: did you mean "
                                     f"autocanary.io/enabled? ({fix})\nno canary web in namespace {ns}"), got.stderr
        kube.run("label", "namespace", ns, "autocanary.io/enable-", "autocanary.io/enabled=true")
        listed = states.run("list", "-n", ns)
        assert listed.stderr == f"No canaries found in namespace {ns}.\n", "opted in: nothing more to say"

        roll(kube, ns, "web", WAITING)
        settled(kube, ns, "web", "WaitingForApproval")
        assert "Warning" not in states.run("get", "web", "-n", ns).stderr
        kube.run("label", "namespace", ns, "--overwrite", "autocanary.io/enabled=false")
        stuck = states.run("status", "web", "-n", ns, "--timeout", "1s")
        assert stuck.returncode == 2, (stuck.stdout, stuck.stderr)
        assert stuck.stderr.startswith(f"Warning: namespace {ns} has opted out (autocanary.io/enabled=false): "
                                       "autocanary does not act there\n"), stuck.stderr
    finally:
        kube.run("delete", "namespace", ns, "--wait=false", check=False)


def test_pause_resume_and_retry_print_what_will_happen_and_what_happened(cluster, states):
    kube, ns, _ = cluster
    paused = canary_object(kube, ns, "web-paused")
    assert paused["spec"]["paused"] is True
    result = states.run("resume", "web-paused", "-n", ns)
    assert result.returncode == 0, result.stderr
    lines = mask(result.stdout, ns).splitlines()
    assert lines[:2] == ["canary NS/web-paused: will resume revision REV at step 2/3 (pause DUR)",
                         'canary NS/web-paused: requested (spec {"paused":false})'], lines
    assert lines[2].startswith("canary NS/web-paused: done; now Progressing at step 2/3 (pause DUR), asked weight "
                               "20%"), lines
    result = states.run("pause", "web-paused", "-n", ns)
    assert result.returncode == 0, result.stderr
    assert "done; now Paused at step 2/3" in result.stdout, result.stdout

    # retry the canary the gate failed: it starts again from its first step.
    failed_before = canary_object(kube, ns, "web-failed")["status"]
    result = states.run("retry", "web-failed", "-n", ns)
    assert result.returncode == 0, result.stderr
    lines = mask(result.stdout, ns).splitlines()
    assert lines[0] == "canary NS/web-failed: will retry revision REV from its first step"
    assert lines[2].startswith("canary NS/web-failed: done; now "), lines
    after = canary_object(kube, ns, "web-failed")["status"]
    assert after["handled"]["retry"] and after["revision"] == failed_before["revision"]
    wait_phase(kube, ns, "web-failed", "Failed", timeout=120)  # the gate still says 500


def test_status_exit_codes(cluster, states):
    kube, ns, _ = cluster
    promoted = states.run("status", "web-done", "-n", ns)
    assert promoted.returncode == 0
    assert mask(promoted.stdout, ns).startswith("promoted: revision REV promoted")
    aborted = states.run("status", "web-aborted", "-n", ns)
    assert aborted.returncode == 1
    assert mask(aborted.stderr, ns).startswith("failed: revision REV aborted: ")
    gated = states.run("status", "web-failed", "-n", ns)
    assert gated.returncode == 1
    assert "the gate answered HTTP 500" in gated.stderr, gated.stderr
    started = time.monotonic()
    late = states.run("status", "web-waiting", "-n", ns, "--timeout", "2s")
    assert late.returncode == 2
    assert 1.5 < time.monotonic() - started < 10
    assert mask(late.stderr, ns) == ("timeout: timed out after DUR; the canary is WaitingForApproval at step 2 "
                                     "(pause until approved)\n")
    assert "timed out after 2s;" in late.stderr
    assert mask(late.stdout, ns) == "waiting: WaitingForApproval at step 2 (pause until approved)\n"


def test_status_waits_for_the_promotion(cluster, states):
    """A CI job: apply, then `status` waits while someone approves."""
    kube, ns, _ = cluster
    roll(kube, ns, "web-ci", WAITING)
    waiting = subprocess.Popen([str(PLUGIN), "--kubeconfig", kube.kubeconfig, "status", "web-ci", "-n", ns,
                                "--timeout", "120s"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        settled(kube, ns, "web-ci", "WaitingForApproval")
        assert waiting.poll() is None, "status ended before the promotion"
        assert states.run("promote", "web-ci", "-n", ns).returncode == 0
        out, err = waiting.communicate(timeout=120)
    finally:
        if waiting.poll() is None:
            waiting.kill()
    assert waiting.returncode == 0, (out, err)
    assert "promoted: revision" in out


def test_status_of_a_canary_cancelled_by_a_revert(cluster, states):
    """The v1 manifest applied again mid-canary (a git revert synced): the
    revision was not promoted (exit 1), but nothing failed, and it says so."""
    kube, ns, _ = cluster
    roll(kube, ns, "web-reverted", WAITING)
    settled(kube, ns, "web-reverted", "WaitingForApproval")
    kube.apply(manifest("web-reverted", ns, V1, WAITING))
    wait_phase(kube, ns, "web-reverted", "Cancelled", timeout=60)
    result = states.run("status", "web-reverted", "-n", ns)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert mask(result.stderr, ns) == ("cancelled: revision REV cancelled: the live template (revision REV) was "
                                       "applied again; canary removed\n")


def read_frames(fd, until, timeout):
    """Reads the pseudo-terminal until `until(screen)` holds for the latest frame
    (the text after the last clear-screen); returns (frame, when) or fails."""
    buffer = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                buffer += os.read(fd, 65536).decode(errors="replace")
            except OSError:
                break
            frame = buffer.rsplit("\033[H\033[2J", 1)[-1]
            if until(frame):
                return frame, time.monotonic()
    raise AssertionError(f"no frame as expected within {timeout}s; last:\n{buffer[-3000:]}")


def test_watch_redraws_within_a_second_of_a_step_change(cluster, states):
    kube, ns, _ = cluster
    roll(kube, ns, "web-watch", TWO_PAUSES)
    settled(kube, ns, "web-watch", "WaitingForApproval")
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(str(PLUGIN), [str(PLUGIN), "--kubeconfig", kube.kubeconfig, "get", "web-watch", "-n", ns, "--watch"])
    try:
        frame, _ = read_frames(fd, lambda f: "Step:      2/5" in f and "5. setWeight 100" in f, timeout=30)
        assert "\033[33mWaitingForApproval\033[0m" in frame, "a terminal gets colours"
        assert "॥" in frame and "✔" in frame and "└── " in frame, frame
        kube.run("patch", "canaries.autocanary.io", "web-watch", "-n", ns, "--type=merge", "-p",
                 json.dumps({"spec": {"promote": "watch-test"}}))
        changed_at = wait_for(lambda: canary_object(kube, ns, "web-watch")["status"]["currentStep"] >= 2
                              and time.monotonic(), "the step change", timeout=60, interval=0.05)
        frame, drawn_at = read_frames(fd, lambda f: re.search(r"Step:\s+[345]/5", f) is not None
                                      and "5. setWeight 100" in f, timeout=30)
        assert drawn_at - changed_at < 1.0, f"redrawn {drawn_at - changed_at:.2f}s after the step changed"
        assert "●" in frame or "॥" in frame
    finally:
        os.kill(pid, 15)
        os.waitpid(pid, 0)
        os.close(fd)


# ---- who may steer -------------------------------------------------------------


@pytest.fixture(scope="module")
def users(cluster, tmp_path_factory):
    """ServiceAccounts of the namespace bound to its `view` and `edit` roles."""
    kube, ns, _ = cluster
    directory = tmp_path_factory.mktemp("users")
    plugins = {}
    for role in ("view", "edit"):
        account = f"{role}er"
        kube.run("create", "serviceaccount", account, "-n", ns)
        kube.run("create", "rolebinding", f"{account}-{role}", f"--clusterrole={role}",
                 f"--serviceaccount={ns}:{account}", "-n", ns)
        plugins[role] = Plugin(token_kubeconfig(kube, ns, account, directory / f"{account}.kubeconfig"))
    # The aggregation controller folds the chart's rules into view and edit.
    wait_for(lambda: kube.run("auth", "can-i", "patch", "canaries.autocanary.io", "-n", ns,
                              f"--as=system:serviceaccount:{ns}:editer", check=False).stdout.strip() == "yes",
             "edit aggregates canaries", timeout=60)
    return plugins


def test_a_viewer_reads_but_may_not_promote(cluster, states, users):
    kube, ns, _ = cluster
    viewer = users["view"]
    listed = viewer.run("list")  # the kubeconfig's namespace
    assert listed.returncode == 0, listed.stderr
    assert set(NAMES) <= {line.split()[0] for line in listed.stdout.splitlines()[1:]}, listed.stdout
    got = viewer.run("get", "web-waiting")
    assert got.returncode == 0, got.stderr
    assert "Deployment web-waiting" in got.stdout
    refused = viewer.run("promote", "web-waiting")
    assert refused.returncode == 1
    assert refused.stderr.startswith(
        f"permission denied: you may not patch canaries.autocanary.io in namespace {ns}.\n"
        "Promoting, aborting, retrying, pausing and resuming write the Canary's spec: they need the namespace's "
        "edit (or admin) role"), refused.stderr
    assert f'User "system:serviceaccount:{ns}:viewer" cannot patch resource "canaries"' in refused.stderr
    assert canary_object(kube, ns, "web-waiting")["status"]["phase"] == "WaitingForApproval"
    # An admin checks what the viewer may do, as with kubectl: --as.
    as_viewer = ["-n", ns, "--as", f"system:serviceaccount:{ns}:viewer"]
    assert states.run("get", "web-waiting", *as_viewer).returncode == 0
    refused = states.run("promote", "web-waiting", *as_viewer)
    assert refused.returncode == 1 and refused.stderr.startswith("permission denied: you may not patch"), \
        refused.stderr
    assert f'User "system:serviceaccount:{ns}:viewer" cannot patch resource "canaries"' in refused.stderr


def test_an_editor_promotes_and_aborts(cluster, states, users):
    kube, ns, _ = cluster
    editor = users["edit"]
    roll(kube, ns, "web-team-a", WAITING)
    roll(kube, ns, "web-team-b", WAITING)
    settled(kube, ns, "web-team-a", "WaitingForApproval")
    settled(kube, ns, "web-team-b", "WaitingForApproval")
    promoted = editor.run("promote", "web-team-a")
    assert promoted.returncode == 0, promoted.stderr
    assert "done; now" in promoted.stdout
    wait_phase(kube, ns, "web-team-a", "Succeeded")
    aborted = editor.run("abort", "web-team-b")
    assert aborted.returncode == 0, aborted.stderr
    assert "will abort revision" in aborted.stdout and "done; now" in aborted.stdout
    wait_phase(kube, ns, "web-team-b", "Failed")
    # The spec only: the status stays the coordinator's.
    forged = kube.run("patch", "canaries.autocanary.io", "web-team-b", "-n", ns, "--subresource=status",
                      "--type=merge", "-p", '{"status":{"phase":"Succeeded"}}',
                      f"--as=system:serviceaccount:{ns}:editer", check=False)
    assert forged.returncode != 0 and "forbidden" in forged.stderr


# ---- conditions and the Argo CD health checks ----------------------------------


def condition(status, kind):
    return next(c for c in status["conditions"] if c["type"] == kind)


def test_the_canary_status_carries_kstatus_conditions(cluster, states):
    kube, ns, _ = cluster
    expected = {"web-waiting": ("False", "True", "False"), "web-paused": ("False", "True", "False"),
                "web-done": ("True", "False", "False"), "web-aborted": ("False", "False", "True")}
    for name, (ready, reconciling, stalled) in expected.items():
        status = canary_object(kube, ns, name)["status"]
        assert (condition(status, "Ready")["status"], condition(status, "Reconciling")["status"],
                condition(status, "Stalled")["status"]) == (ready, reconciling, stalled), name
        assert condition(status, "Ready")["reason"] == status["phase"]
    aborted = canary_object(kube, ns, "web-aborted")["status"]
    assert condition(aborted, "Stalled")["message"] == aborted["message"]
    kube.run("wait", "--for=condition=Ready", "canaries.autocanary.io/web-done", "-n", ns, "--timeout=5s")


def lua_literal(value):
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # JSON string escapes are Lua's too for the text the API returns
    if isinstance(value, list):
        return "{" + ", ".join(lua_literal(v) for v in value) + "}"
    return "{" + ", ".join(f"[{json.dumps(k)}] = {lua_literal(v)}" for k, v in value.items()) + "}"


def health(script, obj, tmp_path):
    """Runs an Argo CD health script as Argo CD does: `obj` global, the chunk returns hs."""
    assert LUA, "lua5.1 is missing: run scripts/bootstrap.sh (Debian package lua5.1)"
    (tmp_path / "obj.lua").write_text("return " + lua_literal(obj) + "\n")
    (tmp_path / "run.lua").write_text(
        f'obj = dofile("{tmp_path}/obj.lua")\n'
        f'local hs = dofile("{ROOT}/gitops/argocd/{script}")\n'
        'io.write(hs.status, "\\n", hs.message or "", "\\n")\n')
    result = subprocess.run([LUA, str(tmp_path / "run.lua")], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    status, message = result.stdout.split("\n", 1)
    return status, message.rstrip("\n")


def test_argocd_health_of_the_canary_in_each_state(cluster, states, tmp_path):
    kube, ns, _ = cluster
    expected = {"web-progressing": "Progressing", "web-waiting": "Suspended", "web-paused": "Suspended",
                "web-done": "Healthy", "web-aborted": "Degraded", "web-failed": "Degraded"}
    for name, wanted in expected.items():
        obj = canary_object(kube, ns, name)
        status, message = health("canary-health.lua", obj, tmp_path)
        assert status == wanted, (name, status, message)
        if wanted == "Degraded":
            assert obj["status"]["message"] and message.endswith(obj["status"]["message"]), message
    _, waiting = health("canary-health.lua", canary_object(kube, ns, "web-waiting"), tmp_path)
    assert waiting.endswith("waits for approval at step 2/3 (pause until approved): kubectl autocanary promote "
                            "web-waiting"), waiting
    _, gated = health("canary-health.lua", canary_object(kube, ns, "web-failed"), tmp_path)
    assert "the gate answered HTTP 500" in gated, gated


def test_argocd_health_of_the_deployment_under_a_canary(cluster, states, tmp_path):
    kube, ns, _ = cluster
    expected = {"web-progressing": "Progressing", "web-waiting": "Suspended", "web-paused": "Suspended",
                "web-done": "Healthy", "web-aborted": "Degraded", "web-failed": "Degraded"}
    for name, wanted in expected.items():
        obj = kube.get("deployment", name, ns)
        status, message = health("deployment-health.lua", obj, tmp_path)
        assert status == wanted, (name, status, message, obj["metadata"].get("annotations"),
                                  obj["status"].get("conditions"))
    _, aborted = health("deployment-health.lua", kube.get("deployment", "web-failed", ns), tmp_path)
    assert "the gate answered HTTP 500" in aborted, aborted
    # Once promoted, no canary is pending: Argo CD's own Deployment rules, and the
    # Canary condition's message.
    promoted = kube.get("deployment", "web-done", ns)
    assert "autocanary.io/pending-revision" not in promoted["metadata"].get("annotations", {})
    assert health("deployment-health.lua", promoted, tmp_path)[0] == "Healthy"
    rolling = dict(promoted, status=dict(promoted["status"], updatedReplicas=1))
    assert health("deployment-health.lua", rolling, tmp_path)[0] == "Progressing"


# ---- packaging -------------------------------------------------------------------


def test_the_krew_package_installs_a_working_plugin(tmp_path):
    """scripts/package-cli.sh: an archive whose sha256 the manifest states, holding
    the binary krew links as kubectl-autocanary."""
    import hashlib
    import tarfile
    import yaml
    subprocess.run([str(ROOT / "scripts/package-cli.sh")], check=True, capture_output=True, text=True,
                   env={**os.environ, "DIST_DIR": str(tmp_path / "dist")})
    manifest_doc = yaml.safe_load((tmp_path / "dist/autocanary.yaml").read_text())
    assert manifest_doc["kind"] == "Plugin" and manifest_doc["metadata"]["name"] == "autocanary"
    platform = manifest_doc["spec"]["platforms"][0]
    archive = Path(platform["uri"].removeprefix("file://"))
    assert hashlib.sha256(archive.read_bytes()).hexdigest() == platform["sha256"]
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path / "installed")
    binary = tmp_path / "installed" / platform["bin"]
    version = subprocess.run([str(binary), "version"], capture_output=True, text=True, timeout=30)
    assert version.returncode == 0 and version.stdout.startswith("kubectl-autocanary ")
    assert manifest_doc["spec"]["version"] == "v" + version.stdout.split()[1]

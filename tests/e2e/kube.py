"""Thin helpers over kubectl and the webhook's endpoints for the end-to-end tests."""

import json
import os
import re
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class Kubectl:
    def __init__(self, kubeconfig, binary):
        self.kubeconfig = kubeconfig
        self.binary = binary

    def run(self, *args, stdin=None, check=True, timeout=60):
        result = subprocess.run(
            [self.binary, "--kubeconfig", self.kubeconfig, *args],
            input=stdin, capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({result.returncode}):\n"
                                 f"{result.stdout}\n{result.stderr}")
        return result

    def apply(self, manifest, *flags, check=True):
        return self.run("apply", "-f", "-", *flags, stdin=manifest, check=check)

    def get(self, kind, name=None, namespace=None, selector=None):
        args = ["get", kind]
        if name:
            args.append(name)
        if namespace:
            args += ["-n", namespace]
        if selector:
            args += ["-l", selector]
        return json.loads(self.run(*args, "-o", "json").stdout)

    def create_namespace(self, name, labels=None):
        label_lines = "".join(f"\n    {k}: \"{v}\"" for k, v in (labels or {}).items())
        self.apply(f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n"
                   f"  labels:{label_lines or ' {}'}\n")
        # The default ServiceAccount must exist before pods can be created.
        wait_for(lambda: self.run("get", "serviceaccount", "default", "-n", name, check=False).returncode == 0,
                 f"default ServiceAccount in {name}")


def run_cluster_test_binary(kube, name):
    """Runs the GoogleTest binary build/tests/NAME (BUILD_DIR overrides build/)
    against the `kube` fixture's cluster and fails with its output."""
    binary = ROOT / os.environ.get("BUILD_DIR", "build") / "tests" / name
    assert binary.is_file(), f"{binary} is missing: build the project first (scripts/build.sh)"
    result = subprocess.run([str(binary)], env={**os.environ, "KUBECONFIG": kube.kubeconfig},
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{name} failed (exit {result.returncode}):\n{result.stdout}\n{result.stderr}"


class Webhook:
    """The webhook process started by scripts/local-webhook.sh."""

    def __init__(self, run_dir):
        self.state = Path(run_dir) / "webhook"

    @property
    def port(self):
        return int((self.state / "port").read_text().strip())

    def _get(self, path):
        context = ssl.create_default_context(cafile=str(self.state / "ca.crt"))
        with urllib.request.urlopen(f"https://127.0.0.1:{self.port}{path}", context=context, timeout=5) as r:
            return r.read().decode()

    def metrics(self):
        """Counters as {'name{labels}': value}."""
        values = {}
        for line in self._get("/metrics").splitlines():
            if line and not line.startswith("#"):
                key, _, value = line.rpartition(" ")
                values[key] = float(value)
        return values

    def requests(self):
        return sum(v for k, v in self.metrics().items() if k.startswith("autocanary_webhook_requests_total"))

    def decisions(self, kind):
        return self.metrics().get(f'autocanary_webhook_decisions_total{{decision="{kind}"}}', 0)

    def log_lines(self):
        lines = []
        for line in (self.state / "webhook.log").read_text().splitlines():
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError:
                pass
        return lines


def wait_for(predicate, what, timeout=60, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


# For what the apiserver's controllers do at their own pace (establishing a CRD,
# deleting every object of one): seconds when idle, and once more than 120 s on
# two cores busy with builds. Polling ends as soon as it is done, so a long
# deadline costs nothing when nothing is wrong.
SLOW_API_TIMEOUT = 600


def wait_established(kube, *crds, timeout=SLOW_API_TIMEOUT):
    """Polls the CRDs' Established condition: `kubectl wait` fails outright on a
    CRD whose status has no conditions yet (".status.conditions accessor error")."""
    def established(name):
        conditions = kube.get("crd", name).get("status", {}).get("conditions") or []
        return any(c["type"] == "Established" and c["status"] == "True" for c in conditions)
    wait_for(lambda: all(established(name) for name in crds), f"CRDs {', '.join(crds)} established", timeout=timeout,
             interval=0.5)


def delete_crds(kube, *crds, timeout=SLOW_API_TIMEOUT):
    """Deletes the CRDs and polls until they are gone. The apiextensions controller
    first deletes every object of each (its finalizer), which is what took
    `kubectl delete --wait` past its 120 s under load; kubectl itself only asks."""
    kube.run("delete", "crd", "--ignore-not-found", "--wait=false", *crds)
    wait_for(lambda: not kube.run("get", "crd", "--ignore-not-found", "-o", "name", *crds).stdout.strip(),
             f"CRDs {', '.join(crds)} deleted", timeout=timeout, interval=0.5)


def deployment(name, namespace, image, replicas=2, extra_env=None):
    env = "".join(f"\n            - name: {k}\n              value: \"{v}\"" for k, v in (extra_env or {}).items())
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {namespace}
  labels:
    app: {name}
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      containers:
        - name: app
          image: {image}
          ports:
            - containerPort: 8080
          env:
            - name: GREETING
              value: hello{env}
"""


def image_of(deployment_json):
    return deployment_json["spec"]["template"]["spec"]["containers"][0]["image"]


def unique(prefix):
    return f"{prefix}-{os.getpid() % 10000}-{int(time.time() * 1000) % 100000}"


def sanitize(text):
    return re.sub(r"\s+", " ", text)


def refusal(log_line):
    """Whether a log line reports an apiserver refusal (403, "... is forbidden: User ...").
    A JSON line's timestamp is left out: its milliseconds may read 403. A write
    into a namespace being deleted is refused with 403 too, whoever asks: that is
    a test's namespace going away under a pass, not a missing permission."""
    try:
        entry = json.loads(log_line)
        text = json.dumps({k: v for k, v in entry.items() if k != "ts"})
    except ValueError:
        text = log_line
    if "because it is being terminated" in text:
        return False
    return re.search(r"\b403\b|forbidden", text, re.IGNORECASE) is not None


def running_coordinators(webhook, tmp_path_factory, name, policy):
    """For a module fixture (`yield from` it): coordinator replicas `name`
    following the canary policy `policy` (YAML), stopped at the module's end."""
    path = tmp_path_factory.mktemp(name) / "policy.yaml"
    path.write_text(policy)
    replicas = Coordinators(webhook.state.parent, path)
    replicas.start(name)
    yield replicas
    replicas.stop(name)


class Coordinators:
    """Coordinator replicas started by scripts/local-coordinator.sh, under the chart's
    ServiceAccount and RBAC: stopping one checks the apiserver refused it nothing."""

    def __init__(self, run_dir, policy_file):
        self.run_dir = Path(run_dir)
        self.policy_file = policy_file

    def _script(self, *args):
        subprocess.run([str(ROOT / "scripts/local-coordinator.sh"), *args], check=True,
                       env={**os.environ, "AUTOCANARY_RUN": str(self.run_dir), "POLICY_FILE": str(self.policy_file)})

    def start(self, name, *flags):
        self._script("start", name, "--lease-duration", "4s", "--renew-deadline", "3s", "--retry-period", "500ms",
                     *flags)

    def stop(self, name, signal="TERM"):
        self._script("stop", name, signal)
        log = self.run_dir / "coordinator" / f"{name}.log"
        refused = [line for line in log.read_text().splitlines() if refusal(line)] if log.exists() else []
        assert not refused, f"coordinator {name} was refused by RBAC:\n" + "\n".join(refused[:5])

    def metrics(self, name):
        port = (self.run_dir / "coordinator" / f"{name}.port").read_text().strip()
        values = {}
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            for line in r.read().decode().splitlines():
                if line and not line.startswith("#"):
                    key, _, value = line.rpartition(" ")
                    values[key] = float(value)
        return values

    def reconciles(self, name):
        return sum(v for k, v in self.metrics(name).items() if k.startswith("autocanary_coordinator_reconciles_total"))


def canary(kube, namespace, name):
    result = kube.run("get", "canaries.autocanary.io", name, "-n", namespace, "-o", "json", check=False)
    return json.loads(result.stdout) if result.returncode == 0 else None


def canary_status(kube, namespace, name):
    record = canary(kube, namespace, name)
    return (record or {}).get("status", {})


def wait_phase(kube, namespace, name, phases, timeout=90):
    phases = {phases} if isinstance(phases, str) else set(phases)
    return wait_for(lambda: (s := canary_status(kube, namespace, name)).get("phase") in phases and s,
                    f"canary {namespace}/{name} in phase {phases}", timeout=timeout)


def pod_uids(kube, namespace, selector):
    return {p["metadata"]["uid"] for p in kube.get("pods", namespace=namespace, selector=selector)["items"]}

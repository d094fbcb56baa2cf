"""The chart through helm (built by tests/cluster/build.sh) and the webhook and
coordinator running on the host under the chart's ServiceAccounts, with the
arguments the chart gives their Deployments."""

import base64
import json
import os
import socket
import ssl
import subprocess
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import yaml

from kube import ROOT, wait_for

CHART = ROOT / "charts/autocanary"
CACHE = Path(os.environ.get("AUTOCANARY_CACHE", Path.home() / ".cache/autocanary"))
HELM = CACHE / "bin/helm"
BUILD_DIR = ROOT / os.environ.get("BUILD_DIR", "build")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Helm:
    def __init__(self, kube, run_dir):
        assert HELM.is_file(), f"{HELM} is missing: run tests/cluster/build.sh"
        self.kube = kube
        # helm's own state (repositories, cache) stays in the run dir.
        home = Path(run_dir) / "helm-home"
        self.env = {**os.environ, "HELM_CACHE_HOME": str(home / "cache"), "HELM_CONFIG_HOME": str(home / "config"),
                    "HELM_DATA_HOME": str(home / "data"), "KUBECACHEDIR": str(Path(run_dir) / "kube-cache")}

    def run(self, *args, check=True, timeout=180):
        result = subprocess.run([str(HELM), "--kubeconfig", self.kube.kubeconfig, *args], capture_output=True,
                                text=True, timeout=timeout, env=self.env)
        if check and result.returncode != 0:
            raise AssertionError(f"helm {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def template(self, release, namespace, *value_args, check=True):
        return self.run("template", release, str(CHART), "-n", namespace, *value_args, check=check)

    def documents(self, release, namespace, *value_args):
        return [d for d in yaml.safe_load_all(self.template(release, namespace, *value_args).stdout) if d]


def find(documents, kind, name_suffix=""):
    found = [d for d in documents if d["kind"] == kind and d["metadata"]["name"].endswith(name_suffix)]
    assert len(found) == 1, f"expected one {kind} *{name_suffix}, got {[d['metadata']['name'] for d in found]}"
    return found[0]


def container_args(documents, component):
    deployment = find(documents, "Deployment", f"-{component}")
    return deployment["spec"]["template"]["spec"]["containers"][0]["args"]


def service_account_kubeconfig(kube, namespace, account, path):
    """A kubeconfig that authenticates as the ServiceAccount (a bound token), so
    the process runs with exactly the chart's RBAC."""
    token = kube.run("create", "token", account, "-n", namespace, "--duration=2h").stdout.strip()
    config = json.loads(kube.run("config", "view", "--raw", "-o", "json").stdout)
    cluster = config["clusters"][0]["cluster"]
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "local", "cluster": cluster}],
        "users": [{"name": account, "user": {"token": token}}],
        "contexts": [{"name": account, "context": {"cluster": "local", "user": account}}],
        "current-context": account}))
    path.chmod(0o600)
    return path


class HostProcess:
    """One of our binaries on the host; its pid file lets tests/cluster/down.sh stop it too."""

    def __init__(self, run_dir, name, binary, args):
        self.run_dir = Path(run_dir)
        self.name = name
        self.log = self.run_dir / f"{name}.log"
        self.pidfile = self.run_dir / "pids" / f"85-{name}.pid"
        binary = Path(binary).resolve()
        assert binary.is_file(), f"{binary} is missing: build the project first"
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([str(binary), *args], stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL)
        self.pidfile.write_text(f"{self.process.pid} {binary}\n")

    def alive(self):
        return self.process.poll() is None

    def stop(self):
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.pidfile.unlink(missing_ok=True)

    def log_lines(self):
        lines = []
        for line in self.log.read_text().splitlines():
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError:
                pass
        return lines


def substitute(args, **env):
    out = []
    for arg in args:
        for key, value in env.items():
            arg = arg.replace(f"$({key})", value)
        out.append(arg)
    return out


def replace_flag(args, flag, value):
    kept = [a for a in args if not a.startswith(flag + "=")]
    return kept + [f"{flag}={value}"]


class HostedRelease:
    """A release installed with webhook.externalURL: the webhook and coordinator
    run here, with the args and ServiceAccounts of the chart's Deployments."""

    def __init__(self, kube, helm, run_dir, release, namespace, values=()):
        self.kube, self.helm = kube, helm
        self.release, self.namespace = release, namespace
        self.state = Path(run_dir) / f"release-{release}"
        self.state.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.fullname = f"{release}-autocanary"
        self.values = ["--set", "certificates.selfManaged.extraIPAddresses={127.0.0.1}", *values]
        self.install_values = [*self.values, "--set", f"webhook.externalURL=https://127.0.0.1:{self.port}/mutate"]
        self.processes = {}

    def install(self, *extra):
        return self.helm.run("install", self.release, str(CHART), "-n", self.namespace, *self.install_values,
                             *extra, "--wait", "--timeout", "3m", timeout=240)

    def uninstall(self, check=True):
        return self.helm.run("uninstall", self.release, "-n", self.namespace, "--wait", "--timeout", "2m",
                             timeout=180, check=check)

    @contextmanager
    def removed_on_failure(self):
        """A failure inside leaves nothing of the release behind: its
        registration would send every later admission to a stopped webhook."""
        try:
            yield self
        except BaseException:
            self.stop_all()
            self.uninstall(check=False)
            raise

    def webhook_args(self, *overrides):
        """The chart's own webhook args, for a process that listens on 127.0.0.1."""
        rendered = self.helm.documents(self.release, self.namespace, *self.values, *overrides)
        args = substitute(container_args(rendered, "webhook"), POD_NAMESPACE=self.namespace)
        args = replace_flag(args, "--port", str(self.port))
        args = replace_flag(args, "--tls-cert-file", str(self.state / "tls.crt"))
        args = replace_flag(args, "--tls-key-file", str(self.state / "tls.key"))
        return args + ["--bind-address=127.0.0.1", "--drain-delay=0s"]

    def start_webhook(self, *overrides, name="webhook"):
        kubeconfig = service_account_kubeconfig(self.kube, self.namespace, f"{self.fullname}-webhook",
                                                self.state / f"{name}.kubeconfig")
        args = self.webhook_args(*overrides) + [f"--kubeconfig={kubeconfig}"]
        process = HostProcess(self.state.parent, f"{self.release}-{name}", BUILD_DIR / "webhook/autocanary-webhook", args)
        self.processes[name] = process
        wait_for(lambda: self.webhook_ready(process), f"the host webhook {name} to serve", timeout=60)
        return process

    def webhook_ready(self, process):
        assert process.alive(), f"webhook exited:\n{process.log.read_text()[-3000:]}"
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        try:
            with urllib.request.urlopen(f"https://127.0.0.1:{self.port}/readyz", context=context, timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def _webhook_get(self, path):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        with urllib.request.urlopen(f"https://127.0.0.1:{self.port}{path}", context=context, timeout=5) as r:
            return r.read().decode()

    def webhook_metrics(self):
        """Samples as {'name{labels}': value}."""
        values = {}
        for line in self._webhook_get("/metrics").splitlines():
            if line and not line.startswith("#"):
                key, _, value = line.rpartition(" ")
                values[key] = float(value)
        return values

    def webhook_requests(self):
        return sum(v for k, v in self.webhook_metrics().items() if k.startswith("autocanary_webhook_requests_total"))

    def start_coordinator(self, name="coordinator-a", *extra):
        kubeconfig = service_account_kubeconfig(self.kube, self.namespace, f"{self.fullname}-coordinator",
                                                self.state / f"{name}.kubeconfig")
        rendered = self.helm.documents(self.release, self.namespace, *self.values)
        metrics_port = free_port()
        args = substitute(container_args(rendered, "coordinator"), POD_NAMESPACE=self.namespace, POD_NAME=name)
        args = replace_flag(args, "--metrics-port", str(metrics_port))
        args = replace_flag(args, "--policy-seal-key-file", str(self.policy_seal_key()))
        args += ["--metrics-address=127.0.0.1", f"--kubeconfig={kubeconfig}", *extra]
        process = HostProcess(self.state.parent, f"{self.release}-{name}",
                              BUILD_DIR / "coordinator/autocanary-coordinator", args)
        process.metrics_port = metrics_port
        self.processes[name] = process

        def healthy():
            assert process.alive(), f"coordinator exited:\n{process.log.read_text()[-3000:]}"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/healthz", timeout=2) as r:
                    return r.status == 200
            except OSError:
                return False
        wait_for(healthy, f"the host coordinator {name}", timeout=30)
        return process

    def policy_seal_key(self):
        """The installed release's seal key, where the chart's Secret volume would put it."""
        path = self.state / "policy-seal-key"
        if not path.exists():
            secret = self.kube.get("secret", f"{self.fullname}-coordinator-policy-seal", self.namespace)
            path.write_bytes(base64.b64decode(secret["data"]["key"]))
            path.chmod(0o600)
        return path

    def stop_all(self):
        for process in self.processes.values():
            process.stop()

    def secret(self):
        return self.kube.get("secret", f"{self.fullname}-webhook-tls", self.namespace)

    def ca_bundle(self):
        configuration = self.kube.get("mutatingwebhookconfiguration", self.fullname)
        return configuration["webhooks"][0]["clientConfig"].get("caBundle", "")


def served_certificate_pem(port):
    """The certificate the webhook presents right now, as PEM."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with context.wrap_socket(raw) as tls:
            return ssl.DER_cert_to_PEM_cert(tls.getpeercert(binary_form=True))


def wait_deleted(kube, *args, timeout=60):
    wait_for(lambda: kube.run("get", *args, check=False).returncode != 0, f"{' '.join(args)} to be deleted",
             timeout=timeout)

"""The peers bench/peers/ runs beside autocanary on the same local control
plane: Flagger and Kruise Rollout, built by tests/cluster/build.sh from their
modules into the cluster cache, each run out-of-cluster on this host with the
run's admin kubeconfig, their CRDs (and Kruise Rollout's webhook registration)
taken from the same module versions (share/<name>/ in the cache).

Every process started here listens on 127.0.0.1 where the program lets us say
so, and is stopped by `stop()` (the shell wrapper's trap calls stop_all()).
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from kubeapi import wait_for  # noqa: E402

CACHE = Path(os.environ.get("AUTOCANARY_CACHE", Path.home() / ".cache/autocanary"))
BIN = CACHE / "bin"
SHARE = CACHE / "share"
CLOCK_TICK = os.sysconf("SC_CLK_TCK")


def arguments(doc, timeout):
    """The options every driver takes (run.sh passes them); each adds its own."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--run-dir", required=True, help="the cluster's AUTOCANARY_RUN")
    parser.add_argument("--work", required=True, help="a scratch directory run.sh removes")
    parser.add_argument("--timeout", type=float, default=timeout, help="seconds a wait may take")
    return parser


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kubectl(kubeconfig, *args, stdin=None, timeout=300, check=True):
    done = subprocess.run([str(BIN / "kubectl"), "--kubeconfig", kubeconfig, *args], input=stdin, text=True,
                          capture_output=True, timeout=timeout)
    if check and done.returncode != 0:
        raise RuntimeError(f"kubectl {' '.join(args[:2])} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


def load():
    """The machine's 1-minute load average (every figure is reported with it)."""
    return float(Path("/proc/loadavg").read_text().split()[0])


def proc_stats(pid):
    """VmRSS and VmHWM (KiB) and utime+stime (seconds) of a live process, or None."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    values = {}
    for line in status.splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    # Fields after the command name (which may hold spaces) start at state (3rd).
    fields = stat.rpartition(")")[2].split()
    values["cpu"] = (int(fields[11]) + int(fields[12])) / CLOCK_TICK
    return values


class Process:
    """One peer process on this host; its pid is written to the run's pids/
    directory so that tests/cluster/down.sh would stop it too."""

    def __init__(self, run_dir, name, argv, env):
        self.run_dir = Path(run_dir)
        self.name = name
        self.argv = [str(a) for a in argv]
        self.env = env
        self.log = self.run_dir / "logs" / f"peer-{name}.log"
        self.pidfile = self.run_dir / "pids" / f"70-peer-{name}.pid"
        self.process = None

    def start(self):
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        self.pidfile.write_text(f"{self.process.pid} {self.argv[0]}\n")
        return self

    @property
    def pid(self):
        return self.process.pid

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def check_alive(self):
        if not self.alive():
            raise RuntimeError(f"{self.name} exited; the end of {self.log}:\n{self.log.read_text()[-3000:]}")
        return True

    def stop(self):
        """SIGTERM to its process group, SIGKILL after 15 s."""
        for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, None)):
            if not self.alive():
                break
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                continue
        self.pidfile.unlink(missing_ok=True)


def install_manifests(kubeconfig, files):
    kubectl(kubeconfig, "apply", "--server-side", "--force-conflicts", *sum((["-f", str(f)] for f in files), []))


def wait_crds(kubeconfig, names):
    for name in names:
        wait_for(lambda: kubectl(kubeconfig, "get", "crd", name, "-o",
                                 "jsonpath={.status.conditions[?(@.type=='Established')].status}",
                                 check=False) == "True", f"CRD {name} Established", timeout=60, interval=0.5)


def require(binary):
    path = BIN / binary
    if not path.exists():
        raise SystemExit(f"{path} missing: run tests/cluster/build.sh (PEERS=1, the default)")
    return path


class Flagger(Process):
    """Flagger with the flags of its Helm chart's defaults, but out-of-cluster:
    --kubeconfig, its HTTP port on a free port (it listens on every interface;
    nothing is sent to it but from 127.0.0.1), and the mesh provider and
    Prometheus the caller names. Log level info (the chart's default)."""

    def __init__(self, run_dir, kubeconfig, provider, prometheus):
        self.port = free_port()
        argv = [require("flagger"), f"-kubeconfig={kubeconfig}", f"-mesh-provider={provider}",
                f"-metrics-server={prometheus}", f"-port={self.port}", "-log-level=info",
                "-enable-config-tracking=true"]
        super().__init__(run_dir, "flagger", argv, {"PATH": "/usr/bin:/bin", "HOME": str(run_dir)})

    @staticmethod
    def install(kubeconfig):
        crd = SHARE / "flagger" / "crd.yaml"
        if not crd.exists():
            raise SystemExit(f"{crd} missing: run tests/cluster/build.sh")
        install_manifests(kubeconfig, [crd])
        wait_crds(kubeconfig, ["canaries.flagger.app", "metrictemplates.flagger.app", "alertproviders.flagger.app"])

    def ready(self):
        self.check_alive()
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False


class KruiseRollout(Process):
    """Kruise Rollout's manager (controllers and webhook in one process),
    out-of-cluster: WEBHOOK_HOST=127.0.0.1 makes it write its serving
    certificate to a directory and point its webhook registration at
    https://127.0.0.1:PORT instead of a Service; its metrics and health
    endpoints on free loopback ports. Leader election off (its default)."""

    NAMESPACE = "kruise-rollout"

    def __init__(self, run_dir, kubeconfig):
        self.webhook_port = free_port()
        self.metrics_port = free_port()
        self.health_port = free_port()
        certs = Path(run_dir) / "kruise-rollout-certs"
        certs.mkdir(parents=True, exist_ok=True)
        argv = [require("kruise-rollout"), f"--kubeconfig={kubeconfig}",
                f"--metrics-bind-address=127.0.0.1:{self.metrics_port}",
                f"--health-probe-bind-address=127.0.0.1:{self.health_port}"]
        env = {"PATH": "/usr/bin:/bin", "HOME": str(run_dir), "WEBHOOK_HOST": "127.0.0.1",
               "WEBHOOK_PORT": str(self.webhook_port), "WEBHOOK_CERT_DIR": str(certs),
               "POD_NAMESPACE": self.NAMESPACE, "KUBECONFIG": kubeconfig}
        super().__init__(run_dir, "kruise-rollout", argv, env)

    @classmethod
    def install(cls, kubeconfig, work):
        """Its CRDs, its namespace, and its two webhook registrations as its
        kustomize overlay makes them (names prefixed `kruise-rollout-`, the
        objectSelectors of patch_manifests.yaml). The manager fills in the CA
        bundle and the URL itself."""
        share = SHARE / "kruise-rollout"
        if not share.exists():
            raise SystemExit(f"{share} missing: run tests/cluster/build.sh")
        install_manifests(kubeconfig, sorted(share.glob("rollouts.kruise.io_*.yaml")))
        wait_crds(kubeconfig, ["rollouts.rollouts.kruise.io", "batchreleases.rollouts.kruise.io"])
        kubectl(kubeconfig, "create", "namespace", cls.NAMESPACE, check=False)
        documents = [d for d in yaml.safe_load_all((share / "manifests.yaml").read_text()) if d]
        selectors = {
            # patch_manifests.yaml of the same release: workloads only once a Rollout labelled them.
            "mdeployment.kb.io": {"matchExpressions": [
                {"key": "control-plane", "operator": "NotIn", "values": ["controller-manager"]},
                {"key": "rollouts.kruise.io/workload-type", "operator": "Exists"}]},
        }
        for doc in documents:
            doc["metadata"] = {"name": "kruise-rollout-" + doc["metadata"]["name"]}
            for hook in doc.get("webhooks", []):
                hook["clientConfig"]["service"]["namespace"] = cls.NAMESPACE
                hook["clientConfig"]["service"]["name"] = "kruise-rollout-webhook-service"
                default = {"matchExpressions": [{"key": "rollouts.kruise.io/workload-type", "operator": "Exists"}]}
                if hook["rules"][0]["apiGroups"] != ["rollouts.kruise.io"]:
                    hook["objectSelector"] = selectors.get(hook["name"], default)
        path = Path(work) / "kruise-rollout-webhooks.json"
        path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": documents}))
        install_manifests(kubeconfig, [path])

    def ready(self):
        """Its webhook registration points at us with a CA bundle, and its webhook port answers."""
        self.check_alive()
        try:
            with socket.create_connection(("127.0.0.1", self.webhook_port), timeout=1):
                pass
        except OSError:
            return False
        return True

    def webhook_registered(self, kubeconfig):
        config = json.loads(kubectl(kubeconfig, "get", "mutatingwebhookconfiguration",
                                    "kruise-rollout-mutating-webhook-configuration", "-o", "json"))
        hooks = [h for h in config["webhooks"] if h["name"] == "mdeployment.kb.io"]
        return bool(hooks and hooks[0]["clientConfig"].get("caBundle")
                    and str(self.webhook_port) in hooks[0]["clientConfig"].get("url", ""))


def kruise_rollout(namespace, name):
    """A Kruise Rollout of Deployment `name`: 25 % of the replicas, a pause, then all."""
    return {
        "apiVersion": "rollouts.kruise.io/v1beta1", "kind": "Rollout",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "strategy": {"canary": {"steps": [{"replicas": "25%", "pause": {}}, {"replicas": "100%"}]}},
        },
    }


def autocanary_pids(run_dir):
    """{name: pid} of the webhook and every coordinator the local scripts started."""
    found = {}
    for pidfile in sorted(Path(run_dir, "pids").glob("*.pid")):
        if "autocanary-webhook" in pidfile.name or "coordinator" in pidfile.name:
            found[pidfile.stem.split("-", 1)[1]] = int(pidfile.read_text().split()[0])
    return found

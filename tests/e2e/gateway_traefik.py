"""Traefik (built by tests/cluster/build.sh from the Go module proxy) on the
host as the cluster's Gateway API implementation: its Kubernetes Gateway
provider watches the local cluster through the run's kubeconfig, its one entry
point listens on 127.0.0.1, and it sends each request straight to a pod IP
from the EndpointSlices of the route's backend Services — on the real node,
pods the host reaches. Shared by tests/e2e/test_gateway_traefik.py and bench/."""

import http.client
import os
import socket
import subprocess
from pathlib import Path

from analysis_servers import free_port
from kube import wait_for
import pollers

CACHE = Path(os.environ.get("AUTOCANARY_CACHE", Path.home() / ".cache/autocanary"))
CONTROLLER = "traefik.io/gateway-controller"
HOST = "shop.example.test"


class Traefik:
    """One traefik process; `port` is its entry point (and the Gateway listener's port)."""

    def __init__(self, kube, run_dir):
        self.kube = kube
        self.binary = CACHE / "bin" / "traefik"
        assert self.binary.exists(), f"{self.binary} missing: run tests/cluster/build.sh"
        self.port = free_port()
        self.log = Path(run_dir) / "traefik.log"
        self.process = None

    def start(self):
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [str(self.binary), f"--entryPoints.web.address=127.0.0.1:{self.port}",
                 "--providers.kubernetesGateway=true", "--log.level=INFO", "--log.noColor=true",
                 # traefik applies a provider's changes at most every providersThrottleDuration
                 # (2 s by default); 0 applies each as it comes, so the times measured are
                 # autocanary's write and traefik's reload, not that wait.
                 "--providers.providersThrottleDuration=0s",
                 "--global.checkNewVersion=false", "--global.sendAnonymousUsage=false"],
                env={"KUBECONFIG": self.kube.kubeconfig, "PATH": "/usr/bin:/bin"},
                stdout=log, stderr=subprocess.STDOUT)

    def wait_listening(self, timeout=30):
        """Until the entry point accepts connections; fails with the log's end if traefik exits."""
        def listening():
            assert self.process.poll() is None, f"traefik exited:\n{self.log.read_text()[-2000:]}"
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return True
            except OSError:
                return False
        wait_for(listening, f"traefik listening on 127.0.0.1:{self.port}", timeout=timeout)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def gateway(self, ns, name="public"):
        """The GatewayClass traefik implements, and Gateway `name` of `ns` with
        one HTTP listener on traefik's entry point, for routes of its namespace."""
        return f"""apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {{name: traefik}}
spec: {{controllerName: {CONTROLLER}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: {name}, namespace: {ns}}}
spec:
  gatewayClassName: traefik
  listeners:
    - {{name: http, protocol: HTTP, port: {self.port}, allowedRoutes: {{namespaces: {{from: Same}}}}}}
"""


def route_programmed(kube, ns, name, kind="httproutes.gateway.networking.k8s.io"):
    """Whether traefik has taken the route's current generation (its status for
    our Gateway says Accepted and ResolvedRefs at that generation)."""
    route = kube.get(kind, name, ns)
    generation = route["metadata"].get("generation")
    for parent in route.get("status", {}).get("parents", []):
        if parent.get("controllerName") != CONTROLLER:
            continue
        conditions = {c["type"]: c for c in parent.get("conditions", [])}
        if all(conditions.get(t, {}).get("status") == "True" and conditions[t].get("observedGeneration") == generation
               for t in ("Accepted", "ResolvedRefs")):
            return True
    return False


def wait_programmed(kube, ns, name, timeout=30):
    wait_for(lambda: route_programmed(kube, ns, name), f"{ns}/{name}: traefik programmed the route's generation",
             timeout=timeout)


class Client:
    """Requests through the Gateway on one keep-alive connection (traefik
    balances each request, not each connection): (status, version, headers)."""

    def __init__(self, port, timeout=2, host=HOST):
        self.port, self.timeout, self.host = port, timeout, host
        self.connection = None

    def get(self, path="/", headers=None):
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.connection.request("GET", path, headers={"Host": self.host, **(headers or {})})
                response = self.connection.getresponse()
                body = response.read().decode(errors="replace")
                fields = dict(f.split("=", 1) for f in body.split() if "=" in f)
                return response.status, fields.get("version"), {k.lower(): v for k, v in response.getheaders()}
            except (OSError, http.client.HTTPException) as error:
                self.connection.close()
                self.connection = None
                if attempt:
                    return None, type(error).__name__, {}
        return None, "unreachable", {}


class Poller(pollers.Poller):
    """Requests through the Gateway without pause from `threads` keep-alive
    connections, for `host`."""

    def __init__(self, port, threads=2, host=HOST):
        super().__init__([self._ask(Client(port, timeout=1, host=host)) for _ in range(threads)])

    @staticmethod
    def _ask(client):
        def ask():
            status, version, _ = client.get()
            return (version, None) if status == 200 else (None, f"{status} {version}")
        return ask

"""autocanary-shim as a process beside a real HTTP app on 127.0.0.1: readiness
follows the app (closed, failing, recovered), warm-up, metrics, SIGTERM, bad flags;
autocanary-shim-tls beside the app over HTTPS. No cluster needed. BUILD_DIR
chooses the build (default build/)."""

import http.server
import json
import os
import signal
import socket
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from kube import ROOT

BUILD = ROOT / os.environ.get("BUILD_DIR", "build")
SHIM = BUILD / "shim/autocanary-shim"
SHIM_TLS = BUILD / "shim/autocanary-shim-tls"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class App:
    """A controllable app: closed (nothing listens), or answering its status to every GET;
    "hang" accepts and never answers. Served over TLS when given a server context."""

    def __init__(self, tls=None):
        self.port = free_port()
        self.status = 200
        self.server = None
        self.release = threading.Event()
        self.tls = tls

    def open(self, status=200):
        self.status = status
        if self.server:
            return
        app = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if app.status == "hang":
                    app.release.wait(30)
                    return
                body = b"app\n"
                self.send_response(app.status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        if self.tls:
            self.server.socket = self.tls.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        if self.server:
            self.release.set()
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def app():
    application = App()
    yield application
    application.close()


@pytest.fixture
def https_app(tmp_path):
    """The app over TLS with a throwaway self-signed certificate, which the shim, as the
    kubelet, does not verify."""
    key, cert = tmp_path / "app-key.pem", tmp_path / "app-cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=app"], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    application = App(tls=context)
    yield application
    application.close()


class Shim:
    def __init__(self, tmp_path, *args, env=None, binary=SHIM):
        self.port = free_port()
        self.log_path = tmp_path / f"shim-{self.port}.log"
        self.log = open(self.log_path, "w")
        environment = {k: v for k, v in os.environ.items() if not k.startswith("AUTOCANARY_SHIM_")}
        environment.update(env or {})
        command = [str(binary), *args]
        if "AUTOCANARY_SHIM_PORT" not in environment:
            command += ["--bind-address", "127.0.0.1", "--port", str(self.port)]
        else:
            self.port = int(environment["AUTOCANARY_SHIM_PORT"])
        self.process = subprocess.Popen(command, stderr=self.log, env=environment)

    def get(self, path):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=2) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def ready(self):
        try:
            return self.get("/ready")
        except OSError:
            return None, ""

    def lines(self):
        self.log.flush()
        return [json.loads(line) for line in self.log_path.read_text().splitlines() if line.startswith("{")]

    def metric(self, name):
        _, text = self.get("/metrics")
        for line in text.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        return None

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=5)
        self.log.close()


@pytest.fixture
def shims(tmp_path):
    started = []

    def start(*args, env=None, binary=SHIM):
        shim = Shim(tmp_path, *args, env=env, binary=binary)
        started.append(shim)
        return shim

    yield start
    for shim in started:
        shim.stop()


def wait_for(what, predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def readiness_is(shim, status):
    return lambda: shim.ready()[0] == status


FAST = ["--period", "100ms", "--timeout", "500ms", "--failure-threshold", "2"]


def test_readiness_follows_the_app(app, shims):
    shim = shims("--probe", f"http:{app.port}/healthz", *FAST)
    wait_for("the shim to serve", lambda: shim.ready()[0] is not None)
    assert shim.get("/live")[0] == 200
    # Closed port: not ready, and it says why.
    wait_for("a probe result", lambda: "connection refused" in shim.ready()[1])
    time.sleep(0.5)
    status, reason = shim.ready()
    assert status == 503
    assert reason.strip() == f"http:{app.port}/healthz failing: connection refused"

    app.open(200)
    wait_for("ready once the app answers", readiness_is(shim, 200))
    assert shim.ready()[1] == "ready\n"
    assert shim.metric("autocanary_shim_ready") == 1
    assert shim.metric("autocanary_shim_time_to_ready_seconds") > 0

    app.status = 500
    wait_for("not ready while the app fails", readiness_is(shim, 503))
    assert "failing: HTTP 500" in shim.ready()[1]
    assert shim.metric("autocanary_shim_readiness_flaps_total") == 1

    app.status = 200
    wait_for("ready again once the app recovers", readiness_is(shim, 200))
    _, metrics = shim.get("/metrics")
    assert f'autocanary_shim_probe_results_total{{probe="http:{app.port}/healthz",result="failure"}}' in metrics
    assert f'autocanary_shim_probe_duration_seconds_count{{probe="http:{app.port}/healthz"}}' in metrics
    assert shim.metric("process_resident_memory_bytes") > 0

    messages = [line["msg"] for line in shim.lines()]
    assert messages[:2] == ["serving", "first probe result"]
    assert messages.count("ready") == 2 and messages.count("not ready") == 1


def test_failure_threshold_tolerates_a_short_failure(app, shims):
    app.open(200)
    shim = shims("--probe", f"http:{app.port}/", "--period", "100ms", "--failure-threshold", "1000")
    wait_for("ready", readiness_is(shim, 200))
    app.status = 500
    time.sleep(0.6)
    assert shim.ready()[0] == 200, "fewer failures than the threshold keep it ready"
    assert shim.metric("autocanary_shim_readiness_flaps_total") == 0


def test_ready_only_after_the_warm_up(app, shims):
    shim = shims("--probe", f"tcp:{app.port}", "--period", "100ms", "--warmup-time", "1500ms",
                 "--warmup-successes", "3")
    wait_for("a probe result", lambda: "connection refused" in shim.ready()[1])
    app.open(200)
    opened = time.monotonic()
    wait_for("warming up", lambda: shim.ready()[1].startswith("warming up: passing for"))
    assert shim.ready()[0] == 503
    wait_for("ready after the warm-up", readiness_is(shim, 200), timeout=5)
    assert time.monotonic() - opened >= 1.4


def test_configured_by_environment_with_a_kubernetes_probe(app, shims):
    app.open(200)
    port = free_port()
    probe = {"httpGet": {"port": "web", "path": "/healthz", "scheme": "HTTP",
                         "httpHeaders": [{"name": "X-From", "value": "shim"}]},
             "periodSeconds": 1, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3}
    shim = shims(env={"AUTOCANARY_SHIM_PORT": str(port), "AUTOCANARY_SHIM_BIND_ADDRESS": "127.0.0.1",
                      "AUTOCANARY_SHIM_PROBES": json.dumps([probe]),
                      "AUTOCANARY_SHIM_NAMED_PORT_WEB": str(app.port)})
    wait_for("ready", readiness_is(shim, 200))
    assert shim.lines()[0]["probes"] == [f"http:{app.port}/healthz"]


def test_sigterm_exits_promptly_even_mid_probe(app, shims):
    app.open("hang")
    shim = shims("--probe", f"http:{app.port}/", "--timeout", "10s")
    wait_for("the shim to serve", lambda: shim.ready()[0] == 503)
    time.sleep(0.3)  # a probe is now waiting on the app
    started = time.monotonic()
    shim.process.send_signal(signal.SIGTERM)
    assert shim.process.wait(timeout=5) == 0
    assert time.monotonic() - started < 1.0
    assert [line["msg"] for line in shim.lines()][-2:] == ["stopping", "stopped"]


def test_sigint_exits_with_zero(app, shims):
    shim = shims("--probe", f"tcp:{app.port}")
    wait_for("the shim to serve", lambda: shim.ready()[0] == 503)
    started = time.monotonic()
    shim.process.send_signal(signal.SIGINT)
    assert shim.process.wait(timeout=5) == 0
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize("args,env,message", [
    (["--probe", "tcp:8080", "--port", "http"], {}, "invalid value for --port: 'http'"),
    (["--probe", "udp:53"], {}, "--probe: bad probe 'udp:53': unknown probe type 'udp'"),
    ([], {}, "no probe given: use --probe or AUTOCANARY_SHIM_PROBES"),
    (["--probe", "tcp:1", "--period", "fast"], {}, "invalid value for --period: 'fast'"),
    ([], {"AUTOCANARY_SHIM_PROBES": '[{"exec": {"command": ["true"]}}]'},
     "exec probes run inside the app container; the shim cannot run them"),
    ([], {"AUTOCANARY_SHIM_PROBES": '{"httpGet": {"port": "http"}}'},
     "named port 'http' is not known: set AUTOCANARY_SHIM_NAMED_PORT_HTTP"),
    (["--probe", "tcp:8080", "--probe", "https:8443/ready"], {},
     "probe https:8443/ready needs TLS, which this binary leaves out to stay small: run autocanary-shim-tls"),
])
def test_bad_configuration_exits_2_with_a_message(args, env, message):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AUTOCANARY_SHIM_")}
    result = subprocess.run([str(SHIM), *args], capture_output=True, text=True, timeout=10,
                            env={**environment, **env})
    assert result.returncode == 2
    assert message in result.stderr


def test_a_second_shim_cannot_share_the_port(app, shims):
    first = shims("--probe", f"tcp:{app.port}")
    wait_for("the first shim to serve", lambda: first.ready()[0] == 503)
    result = subprocess.run([str(SHIM), "--probe", "tcp:1", "--bind-address", "127.0.0.1", "--port", str(first.port)],
                            capture_output=True, text=True, timeout=10)
    assert result.returncode == 1
    assert "cannot listen on" in result.stderr


def test_port_in_use_exits_1(app, shims):
    app.open(200)
    result = subprocess.run([str(SHIM), "--probe", "tcp:1", "--bind-address", "127.0.0.1", "--port", str(app.port)],
                            capture_output=True, text=True, timeout=10)
    assert result.returncode == 1
    line = json.loads(result.stderr.splitlines()[-1])
    assert line["msg"] == "cannot start"
    assert f"cannot listen on 127.0.0.1:{app.port}" in line["error"]


def test_the_tls_build_follows_an_https_app(https_app, shims):
    shim = shims("--probe", f"https:{https_app.port}/healthz", *FAST, binary=SHIM_TLS)
    wait_for("the first probe result", lambda: any(line["msg"] == "first probe result" for line in shim.lines()))
    assert shim.ready()[0] == 503, "nothing listens yet"

    https_app.open(200)
    wait_for("ready once the app answers over TLS", readiness_is(shim, 200))
    https_app.open(500)
    wait_for("not ready while the app fails", readiness_is(shim, 503))
    assert "failing: HTTP 500" in shim.ready()[1]
    https_app.open(200)
    wait_for("ready again", readiness_is(shim, 200))

    shim.process.send_signal(signal.SIGTERM)
    assert shim.process.wait(timeout=5) == 0


def test_the_tls_build_runs_plain_probes_too(app, shims):
    app.open(200)
    shim = shims("--probe", f"http:{app.port}/", "--probe", f"tcp:{app.port}", *FAST, binary=SHIM_TLS)
    wait_for("ready over plain HTTP and TCP", readiness_is(shim, 200))

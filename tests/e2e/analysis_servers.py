"""Servers the analysis end-to-end tests run on 127.0.0.1: a Prometheus from
Debian's package scraping a test exporter whose 5xx ratio the test sets, and an
HTTP gate whose answer the test sets."""

import json
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from kube import wait_for


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Handler(BaseHTTPRequestHandler):
    def reply(self, status, content_type, body):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class _Server:
    """A ThreadingHTTPServer on a free port, run on a daemon thread."""

    def __init__(self, handler):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.owner = self
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class Exporter(_Server):
    """Serves http_requests_total of canary Deployments: 1000 requests a second
    each unless the test sets another rate, of which the share the test set are
    5xx. Counters advance at every scrape, so rate() over a few seconds reads
    the ratio back."""

    REQUESTS_PER_SECOND = 1000.0

    def __init__(self):
        self.lock = threading.Lock()
        self.targets = {}  # (namespace, deployment) -> {"ratio", "ok", "errors", "at"}

        class Handler(_Handler):
            def do_GET(self):
                self.reply(200, "text/plain; version=0.0.4", self.server.owner.render().encode())

        super().__init__(Handler)

    def set_ratio(self, namespace, deployment, ratio, per_second=REQUESTS_PER_SECOND):
        with self.lock:
            self._advance()
            target = self.targets.setdefault((namespace, deployment),
                                             {"ok": 0.0, "errors": 0.0, "at": time.monotonic()})
            target["ratio"] = ratio
            target["per_second"] = per_second

    def _advance(self):
        now = time.monotonic()
        for target in self.targets.values():
            requests = target["per_second"] * (now - target["at"])
            target["errors"] += requests * target["ratio"]
            target["ok"] += requests * (1 - target["ratio"])
            target["at"] = now

    def render(self):
        with self.lock:
            self._advance()
            lines = ["# TYPE http_requests_total counter"]
            for (namespace, deployment), target in sorted(self.targets.items()):
                for code, value in (("200", target["ok"]), ("500", target["errors"])):
                    lines.append(f'http_requests_total{{namespace="{namespace}",deployment="{deployment}",'
                                 f'code="{code}"}} {value:.3f}')
            return "\n".join(lines) + "\n"


class Gate(_Server):
    """An HTTP gate: answers every POST with the status the test set and keeps
    the JSON it was sent."""

    def __init__(self):
        self.status = 200
        self.received = []

        class Handler(_Handler):
            def do_POST(self):
                owner = self.server.owner
                length = int(self.headers.get("Content-Length", "0"))
                owner.received.append(json.loads(self.rfile.read(length) or b"null"))
                self.reply(owner.status, "application/json", b'{"reason": "the test says so"}')

        super().__init__(Handler)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/gate"


class Prometheus:
    """Debian's prometheus, scraping `target` every second, on a fixed free port
    so that it can be stopped and started again at the same address."""

    def __init__(self, workdir, target_port):
        self.binary = shutil.which("prometheus")
        assert self.binary, "prometheus is missing: run scripts/bootstrap.sh (Debian package prometheus)"
        self.dir = Path(workdir)
        self.port = free_port()
        self.process = None
        (self.dir / "prometheus.yml").write_text(f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: exporter
    static_configs:
      - targets: ["127.0.0.1:{target_port}"]
""")

    @property
    def address(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        log = open(self.dir / "prometheus.log", "ab")
        self.process = subprocess.Popen(
            [self.binary, f"--config.file={self.dir / 'prometheus.yml'}", f"--storage.tsdb.path={self.dir / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        wait_for(self._ready, f"prometheus on {self.address}", timeout=60)

    def _ready(self):
        if self.process.poll() is not None:
            raise AssertionError(f"prometheus exited: see {self.dir / 'prometheus.log'}")
        try:
            with urllib.request.urlopen(f"{self.address}/-/ready", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def query(self, promql):
        data = f"query={urllib.request.quote(promql)}".encode()
        with urllib.request.urlopen(f"{self.address}/api/v1/query", data=data, timeout=5) as r:
            return json.loads(r.read())["data"]["result"]

"""Servers the analysis end-to-end tests run on 127.0.0.1: a Prometheus from
Debian's package scraping a test exporter whose 5xx ratio the test sets, an
HTTP gate whose answer the test sets, and a Prometheus stand-in whose queries
stall until the test lets them answer."""

import json
import select
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


class StalledPrometheus(_Server):
    """Takes Prometheus queries and answers none until release(); then answers
    every query at once with the value 0. A query is outstanding from its
    arrival until it is answered or its client gives up (closes the connection):
    outstanding() is what the client is still waiting for."""

    def __init__(self):
        self.lock = threading.Lock()
        self.released = threading.Event()
        self._outstanding = set()
        self._next = 0

        class Handler(_Handler):
            def do_POST(self):
                owner = self.server.owner
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                query = owner._arrived()
                try:
                    while not owner.released.wait(0.05):
                        if _closed(self.connection):
                            return
                    body = json.dumps({"status": "success", "data": {
                        "resultType": "vector", "result": [{"metric": {}, "value": [time.time(), "0"]}]}})
                    self.reply(200, "application/json", body.encode())
                finally:
                    owner._ended(query)

        super().__init__(Handler)

    @property
    def address(self):
        return f"http://127.0.0.1:{self.port}"

    def _arrived(self):
        with self.lock:
            self._next += 1
            self._outstanding.add(self._next)
            return self._next

    def _ended(self, query):
        with self.lock:
            self._outstanding.discard(query)

    def outstanding(self):
        with self.lock:
            return set(self._outstanding)

    def release(self):
        self.released.set()


def _closed(connection):
    """Whether the peer closed `connection` (readable with nothing to read)."""
    readable, _, _ = select.select([connection], [], [], 0)
    if not readable:
        return False
    try:
        return connection.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


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

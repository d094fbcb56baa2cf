"""A minimal client of the local kube-apiserver for the coordinator benchmarks.

Requests go over one kept-alive HTTPS connection with the admin client
certificate from the kubeconfig, so a timed request costs one round trip and not
a kubectl process start. Watches get their own connection; every event is
stamped with time.monotonic_ns() the moment its line has been read.
"""

import base64
import http.client
import json
import math
import os
import re
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.parse


def load_kubeconfig(path, kubectl="kubectl"):
    """(host, port, ssl.SSLContext) for the current context of a kubeconfig with
    embedded certificate data (what tests/cluster/up.sh writes)."""
    raw = subprocess.run([kubectl, "--kubeconfig", path, "config", "view", "--raw", "--minify", "-o", "json"],
                         check=True, capture_output=True, text=True, timeout=30).stdout
    config = json.loads(raw)
    cluster = config["clusters"][0]["cluster"]
    user = config["users"][0]["user"]
    url = urllib.parse.urlsplit(cluster["server"])
    context = ssl.create_default_context(cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
    # load_cert_chain only reads files: write them for the call, then remove them.
    with tempfile.TemporaryDirectory() as scratch:
        cert, key = os.path.join(scratch, "client.crt"), os.path.join(scratch, "client.key")
        for name, field in ((cert, "client-certificate-data"), (key, "client-key-data")):
            with open(os.open(name, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as out:
                out.write(base64.b64decode(user[field]))
        context.load_cert_chain(cert, key)
    return url.hostname, url.port or 443, context


class ApiError(Exception):
    def __init__(self, status, body):
        super().__init__(f"HTTP {status}: {body[:300]}")
        self.status = status
        self.body = body


class Api:
    def __init__(self, kubeconfig, kubectl="kubectl"):
        self.host, self.port, self.context = load_kubeconfig(kubeconfig, kubectl)
        self._conn = None

    def _connection(self, timeout=30):
        conn = http.client.HTTPSConnection(self.host, self.port, context=self.context, timeout=timeout)
        conn.connect()
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    def request(self, method, path, body=None, content_type="application/json", ok=(200, 201)):
        """The decoded JSON answer; ApiError for a status outside `ok`."""
        payload = None if body is None else (body if isinstance(body, (bytes, str)) else json.dumps(body))
        headers = {"Accept": "application/json"}
        if payload is not None:
            headers["Content-Type"] = content_type
        for attempt in (1, 2):  # one reconnect: the apiserver may have closed an idle connection
            if self._conn is None:
                self._conn = self._connection()
            try:
                self._conn.request(method, path, body=payload, headers=headers)
                response = self._conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, OSError):
                self._conn.close()
                self._conn = None
                if attempt == 2:
                    raise
        if response.status not in ok:
            raise ApiError(response.status, data.decode(errors="replace"))
        return json.loads(data) if data else None

    def raw_get(self, path):
        """The undecoded body of a GET (to measure what a list weighs)."""
        if self._conn is None:
            self._conn = self._connection()
        self._conn.request("GET", path, headers={"Accept": "application/json"})
        response = self._conn.getresponse()
        data = response.read()
        if response.status != 200:
            raise ApiError(response.status, data.decode(errors="replace"))
        return data

    def get(self, path, missing_ok=False):
        try:
            return self.request("GET", path)
        except ApiError as error:
            if missing_ok and error.status == 404:
                return None
            raise

    def create(self, path, body):
        return self.request("POST", path, body, ok=(200, 201, 202))

    def patch(self, path, body, kind="merge"):
        types = {"merge": "application/merge-patch+json", "strategic": "application/strategic-merge-patch+json",
                 "json": "application/json-patch+json"}
        return self.request("PATCH", path, body, content_type=types[kind])

    def open_watch(self, path, params, timeout_seconds=60):
        """A Watch whose HTTP response headers have arrived (the watch is registered)."""
        query = urllib.parse.urlencode({**params, "watch": "true", "timeoutSeconds": str(timeout_seconds)})
        conn = self._connection(timeout=timeout_seconds + 5)
        conn.request("GET", f"{path}?{query}", headers={"Accept": "application/json"})
        response = conn.getresponse()
        if response.status != 200:
            body = response.read().decode(errors="replace")
            conn.close()
            raise ApiError(response.status, body)
        return Watch(conn, response)


    def fork(self):
        """Another client of the same apiserver and credentials, with its own connection."""
        other = object.__new__(Api)
        other.host, other.port, other.context, other._conn = self.host, self.port, self.context, None
        return other


def create_concurrently(api, groups, workers=8, retries=5):
    """POSTs many objects from `workers` threads, each on its own kept-alive
    connection, instead of one `kubectl apply` (which sends a GET and a POST per
    object, one at a time, throttled at 5 requests a second by client-go's
    default rate limiter). `groups` is an iterable of [(collection path, body),
    ...]: one group's objects are created in order by one thread (a Deployment
    before the resource that refers to it), groups are taken in the order given.
    An object that exists already counts as created; 429, 5xx and connection
    errors are retried `retries` times. Returns the number of objects created;
    raises the first other error once every thread has stopped."""
    groups = iter(groups)
    lock = threading.Lock()
    created, errors = [0], []

    def run(client):
        while not errors:
            with lock:
                group = next(groups, None)
            if group is None:
                return
            for path, body in group:
                for attempt in range(retries + 1):
                    try:
                        client.create(path, body)
                        break
                    except ApiError as error:
                        if error.status == 409:
                            break
                        if error.status != 429 and error.status < 500 or attempt == retries:
                            errors.append(error)
                            return
                    except (OSError, http.client.HTTPException) as error:
                        if attempt == retries:
                            errors.append(error)
                            return
                    time.sleep(0.5 * (attempt + 1))
                with lock:
                    created[0] += 1

    threads = [threading.Thread(target=run, args=(api.fork(),), daemon=True) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return created[0]


class Watch:
    def __init__(self, conn, response):
        self._conn = conn
        self._response = response

    def events(self):
        """(monotonic_ns at arrival, event) until the server ends the watch."""
        while True:
            try:
                line = self._response.readline()
            except (http.client.HTTPException, OSError, ValueError):
                return
            if not line:
                return
            arrived = time.monotonic_ns()
            line = line.strip()
            if line:
                yield arrived, json.loads(line)

    def close(self):
        try:
            self._conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._conn.close()


def wait_for(predicate, what, timeout=90, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


def deployment(name, namespace, image, replicas):
    """A small Deployment like the end-to-end tests' (tests/e2e/kube.py)."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{
                    "name": "app", "image": image, "ports": [{"containerPort": 8080}],
                    "env": [{"name": "GREETING", "value": "hello"}]}]},
            },
        },
    }


def metrics(port):
    """The coordinator's /metrics as {'name{labels}': value}."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/metrics")
        text = conn.getresponse().read().decode()
    finally:
        conn.close()
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            values[key] = float(value)
    return values


def histogram(values, name):
    """[(upper bound, cumulative count)], sum, count of a histogram in metrics()."""
    pattern = re.compile(re.escape(name) + r'_bucket\{le="([^"]+)"\}')
    buckets = sorted(((float(m.group(1)), v) for k, v in values.items() if (m := pattern.fullmatch(k))),
                     key=lambda b: b[0])
    return buckets, values.get(f"{name}_sum", 0.0), values.get(f"{name}_count", 0.0)


def percentile(sorted_values, fraction):
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(len(sorted_values) * fraction))
    return sorted_values[rank - 1]

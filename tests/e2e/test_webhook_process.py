"""autocanary-webhook as a process: start-up errors, readiness, SIGTERM drain."""

import json
import os
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from kube import ROOT

BUILD = ROOT / "build"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def certificates(tmp_path):
    subprocess.run([str(BUILD / "certs/autocanary-certs"), "--out-dir", str(tmp_path), "--ip", "127.0.0.1"],
                   check=True, capture_output=True)
    return tmp_path


def get(port, path, cafile):
    context = ssl.create_default_context(cafile=str(cafile))
    try:
        with urllib.request.urlopen(f"https://127.0.0.1:{port}{path}", context=context, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as error:
        return error.code


def start(certificates, port, *extra):
    # No API access: the webhook runs on its built-in policy.
    env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "KUBERNETES_SERVICE_HOST")}
    return subprocess.Popen(
        [str(BUILD / "webhook/autocanary-webhook"), "--bind-address", "127.0.0.1", "--port", str(port),
         "--tls-cert-file", str(certificates / "tls.crt"), "--tls-key-file", str(certificates / "tls.key"), *extra],
        stderr=subprocess.PIPE, text=True, env=env)


def wait_ready(port, cafile, timeout=5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if get(port, "/readyz", cafile) == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError("webhook did not become ready")


def test_sigterm_drains_then_exits_cleanly(certificates):
    port = free_port()
    process = start(certificates, port, "--drain-delay", "1s")
    try:
        wait_ready(port, certificates / "ca.crt")
        process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        assert get(port, "/readyz", certificates / "ca.crt") == 503, "readiness fails while draining"
        assert get(port, "/healthz", certificates / "ca.crt") == 200, "still serving while draining"
        started = time.monotonic()
        assert process.wait(timeout=10) == 0
        assert time.monotonic() - started < 3, "exits promptly after the drain delay"
    finally:
        process.kill()
    messages = [json.loads(line)["msg"] for line in process.stderr.read().splitlines()]
    assert messages == ["no API access; the built-in canary policy applies", "serving", "draining before shutdown",
                        "stopped"]


def open_connection(port, cafile):
    """A TLS keep-alive connection as the apiserver holds one."""
    context = ssl.create_default_context(cafile=str(cafile))
    return context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5), server_hostname="127.0.0.1")


def ask(connection, path="/healthz"):
    """One request on a kept-alive connection; its status line, or what went wrong."""
    try:
        connection.sendall(f"GET {path} HTTP/1.1\r\nHost: webhook\r\n\r\n".encode())
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.endswith(b"ok\n"):
            chunk = connection.recv(4096)
            if not chunk:
                return "closed by the webhook"
            answer += chunk
        return answer.split(b"\r\n", 1)[0].decode()
    except OSError as error:
        return f"failed: {error}"


def test_an_idle_connection_outlives_the_apiservers_idle_timeout(certificates):
    """The apiserver keeps idle webhook connections 90 s and sends the next review
    on one of them; a webhook that closes an idle connection first races that
    review, and the user's write fails ("broken pipe"). Idle for longer than the
    old 5 s keep-alive, the connection still carries the next request."""
    port = free_port()
    process = start(certificates, port)
    try:
        wait_ready(port, certificates / "ca.crt")
        connection = open_connection(port, certificates / "ca.crt")
        assert ask(connection) == "HTTP/1.1 200 OK"
        time.sleep(6.5)
        assert ask(connection) == "HTTP/1.1 200 OK", "the webhook closed an idle connection the apiserver may use"
        connection.close()
    finally:
        process.kill()
        process.wait()


def test_sigterm_ends_idle_connections_instead_of_waiting_for_them(certificates):
    """The keep-alive outlives the apiserver's (120 s), so a stop that waited for
    idle connections would outlast any pod's termination grace period."""
    port = free_port()
    process = start(certificates, port, "--drain-delay", "1s")
    try:
        wait_ready(port, certificates / "ca.crt")
        idle = [open_connection(port, certificates / "ca.crt") for _ in range(3)]
        for connection in idle:
            assert ask(connection) == "HTTP/1.1 200 OK"
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        assert process.wait(timeout=30) == 0
        assert time.monotonic() - started < 4, "the stop waited for idle connections"
        for connection in idle:
            connection.close()
    finally:
        process.kill()
        process.wait()


def test_idle_connections_of_several_apiservers_starve_no_new_one(certificates):
    """Each apiserver keeps up to 25 idle connections per webhook host, and each
    holds one of cpp-httplib's workers: with three apiservers' worth idle, every
    new connection is still answered at once (none waits for an idle one to close)."""
    port = free_port()
    process = start(certificates, port)
    idle = []
    try:
        wait_ready(port, certificates / "ca.crt")
        for count in range(76):
            started = time.monotonic()
            idle.append(open_connection(port, certificates / "ca.crt"))
            assert ask(idle[-1]) == "HTTP/1.1 200 OK"
            waited = time.monotonic() - started
            assert waited < 2, f"connection {count + 1} waited {waited:.1f} s for a worker held by an idle one"
    finally:
        for connection in idle:
            connection.close()
        process.kill()
        process.wait()


def test_unusable_certificate_stops_start_up_with_a_clear_error(certificates):
    (certificates / "tls.key").write_text("not a key")
    process = start(certificates, free_port())
    assert process.wait(timeout=10) == 1
    line = json.loads(process.stderr.read().splitlines()[-1])
    assert line["level"] == "error"
    assert "private key is not valid PEM" in line["error"]


def test_bad_flags_are_explained():
    result = subprocess.run([str(BUILD / "webhook/autocanary-webhook"), "--port", "http"],
                            capture_output=True, text=True, timeout=10)
    assert result.returncode == 2
    assert "invalid value for --port: 'http'" in result.stderr

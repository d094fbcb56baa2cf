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

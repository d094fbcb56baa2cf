"""Hostile bytes and hostile tenants, through the real apiserver: YAML bombs in
an annotation cost the webhook nothing and leave the rollout on its policy; a
forged policy record in a Canary's status never makes the coordinator call out."""

import http.server
import json
import threading
import time
from pathlib import Path

import pytest

from kube import Coordinators, deployment, unique, wait_for, wait_phase

V1 = "registry.example.com/shop/web:1.0.0"
V2 = "registry.example.com/shop/web:2.0.0"
V3 = "registry.example.com/shop/web:3.0.0"
POLICY = "hostile-input"
POLICY_YAML = f"""apiVersion: autocanary.io/v1alpha1
kind: ClusterCanaryPolicy
metadata: {{name: {POLICY}}}
spec:
  steps:
    - setWeight: 20
    - pause: {{}}
    - setWeight: 100
  trafficBackend: podRatio
"""


def billion_laughs():
    """Nine levels of nine aliases: ~300 bytes that expand to 10^9 strings."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        lines.append(f"{level}: &{level} [" + ",".join(f"*{previous}" for _ in range(9)) + "]")
    return "{" + ", ".join(lines) + "}"


BOMBS = {
    "alias-bomb": billion_laughs(),
    "deep-nesting": "[" * 20000 + "]" * 20000,
    "huge-scalar": "x" * 200_000,  # annotations may total 256 KiB
}


@pytest.fixture(scope="module")
def hostile(kube, webhook):
    replicas = Coordinators(webhook.state.parent, "")
    replicas._script("setup")
    webhook.stop()  # the webhook watches policies once the CRD exists
    webhook.start()
    kube.apply(POLICY_YAML)
    replicas.start("hostile")
    yield kube, webhook
    replicas.stop("hostile")
    kube.run("delete", "clustercanarypolicies.autocanary.io", POLICY, "--ignore-not-found")


def new_namespace(kube, prefix):
    ns = unique(prefix)
    kube.create_namespace(ns, {"autocanary.io/enabled": "true", "autocanary.io/policy": POLICY})
    return ns


def webhook_peak_kib(webhook):
    pid = (webhook.state.parent / "pids/90-autocanary-webhook.pid").read_text().split()[0]
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def with_annotation(manifest, key, value):
    return manifest.replace("  labels:\n    app: web\nspec:",
                            f"  annotations:\n    {key}: {json.dumps(value)}\n  labels:\n    app: web\nspec:", 1)


@pytest.mark.parametrize("bomb", sorted(BOMBS))
def test_a_yaml_bomb_in_the_steps_annotation_is_a_warning_and_costs_nothing(hostile, bomb):
    kube, webhook = hostile
    ns = new_namespace(kube, bomb)
    # Server-side: a client-side apply would copy the annotation into
    # last-applied-configuration and pass the apiserver's 256 KiB limit.
    kube.apply(deployment("web", ns, V1, replicas=2), "--server-side")
    kube.run("rollout", "status", "deployment/web", "-n", ns, "--timeout=90s", timeout=100)
    peak_before = webhook_peak_kib(webhook)

    started = time.monotonic()
    applied = kube.apply(with_annotation(deployment("web", ns, V2, replicas=2), "autocanary.io/steps", BOMBS[bomb]),
                         "--server-side")
    elapsed_ms = (time.monotonic() - started) * 1000
    print(f"{bomb}: {len(BOMBS[bomb])} bytes, kubectl apply answered in {elapsed_ms:.0f} ms")

    assert "autocanary: annotation autocanary.io/steps ignored" in applied.stderr, applied.stderr
    growth = webhook_peak_kib(webhook) - peak_before
    assert growth < 5 * 1024, f"the webhook's peak RSS grew {growth} KiB"
    # The coordinator, which parses the same annotation every pass, follows the policy.
    status = wait_phase(kube, ns, "web", "WaitingForApproval")
    assert [s["description"] for s in status["steps"]] == ["setWeight 20", "pause until approved"]
    assert status["policy"]["sources"]["steps"] == f"ClusterCanaryPolicy/{POLICY}"

    # For bench/hostile_input.sh: the same bytes in an annotation nobody parses, on the next
    # template change, so the bomb's time can be told from what any write of that size costs.
    started = time.monotonic()
    kube.apply(with_annotation(deployment("web", ns, V3, replicas=2), "example.com/same-bytes", BOMBS[bomb]),
               "--server-side")
    print(f"control {bomb}: {len(BOMBS[bomb])} bytes, kubectl apply answered in "
          f"{(time.monotonic() - started) * 1000:.0f} ms")


class RecordingServer(http.server.ThreadingHTTPServer):
    """Counts every request that reaches it (a gate an attacker would own)."""

    def __init__(self):
        self.requests = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                server.requests.append((self.path, self.headers.get("Authorization")))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)


def test_a_forged_policy_record_never_makes_the_coordinator_call_out(hostile, tmp_path):
    kube, _ = hostile
    ns = new_namespace(kube, "forged")
    kube.apply(deployment("web", ns, V1, replicas=2))
    kube.run("rollout", "status", "deployment/web", "-n", ns, "--timeout=90s", timeout=100)
    kube.apply(deployment("web", ns, V2, replicas=2))
    status = wait_phase(kube, ns, "web", "WaitingForApproval")
    genuine = status["policy"]

    attacker = RecordingServer()
    threading.Thread(target=attacker.serve_forever, daemon=True).start()
    try:
        token = tmp_path / "token"
        token.write_text("a secret the coordinator must not send")
        forged = json.loads(json.dumps(genuine))
        # The step the rollout is in becomes a gate on the attacker's host,
        # sent the token; the seal is kept as it was.
        forged["spec"]["steps"][1] = {"analysis": {"analyses": ["gate"]}}
        forged["spec"]["analyses"] = [{"name": "gate", "interval": "1s",
                                       "httpGate": {"url": f"http://127.0.0.1:{attacker.server_port}/gate",
                                                    "bearerTokenFile": str(token)}}]
        kube.run("patch", "canaries.autocanary.io", "web", "-n", ns, "--subresource=status", "--type=merge",
                 "-p", json.dumps({"status": {"policy": forged}}))

        def rejected():
            events = kube.get("events", namespace=ns)["items"]
            return any(e["reason"] == "PolicyRecordRejected" for e in events)
        wait_for(rejected, "a PolicyRecordRejected Event", timeout=60)
        recorded = wait_for(lambda: (p := kube.get("canaries.autocanary.io", "web", ns)["status"]["policy"])["spec"]
                            == genuine["spec"] and p, "the policy in force recorded again", timeout=30)
        assert recorded["seal"] == genuine["seal"], "the same policy for the same revision: the same seal"
        # Several passes later the rollout still waits for approval, and nothing reached the attacker.
        time.sleep(3)
        assert kube.get("canaries.autocanary.io", "web", ns)["status"]["phase"] == "WaitingForApproval"
        assert attacker.requests == [], f"the coordinator called the forged gate: {attacker.requests}"
    finally:
        attacker.shutdown()

"""Self-managed certificates through the real apiserver: with lifetimes
shortened to seconds, the webhook installed by the chart renews its serving
certificate and rotates its CA, patches its registration's caBundle, and
admission keeps working throughout: requests driven through the apiserver with
failurePolicy Fail never fail."""

import base64
import hashlib
import threading
import time

import pytest

from helm_release import BUILD_DIR, Helm, HostProcess, HostedRelease, served_certificate_pem
from kube import deployment, unique, wait_for

ENABLED = {"autocanary.io/enabled": "true"}
SHORT_LIFETIMES = ["--set", "certificates.selfManaged.caValidity=60s",
                   "--set", "certificates.selfManaged.certValidity=20s",
                   "--set", "certificates.selfManaged.checkPeriod=1s",
                   "--set", "certificates.selfManaged.caTrustDelay=3s"]
DRIVE_SECONDS = 75


def fingerprint(pem):
    body = "".join(line for line in pem.strip().splitlines() if not line.startswith("-----"))
    return hashlib.sha256(base64.b64decode(body)).hexdigest()


def bundle_fingerprints(pem_text):
    blocks = [b for b in pem_text.split("-----END CERTIFICATE-----") if "BEGIN" in b]
    return [fingerprint(b + "-----END CERTIFICATE-----") for b in blocks]


@pytest.fixture(scope="module")
def release(kube, sole_registration):
    helm = Helm(kube, kube.kubeconfig.rsplit("/", 1)[0])
    namespace = unique("certs-system")
    kube.create_namespace(namespace)
    hosted = HostedRelease(kube, helm, kube.kubeconfig.rsplit("/", 1)[0], "certs", namespace, SHORT_LIFETIMES)
    with hosted.removed_on_failure():
        hosted.install()
        hosted.start_webhook()
    yield hosted
    hosted.stop_all()
    hosted.uninstall()


class Driver:
    """Admission requests through the apiserver, from two threads, until stopped."""

    def __init__(self, kube, namespace):
        self.kube, self.namespace = kube, namespace
        self.ok, self.failures = 0, []
        self.stopping = threading.Event()
        self.lock = threading.Lock()

    def _loop(self, worker):
        n = 0
        while not self.stopping.is_set():
            n += 1
            # Each UPDATE of a Deployment in an opted-in namespace is reviewed by the webhook.
            result = self.kube.run("annotate", "deployment", f"web-{worker}", "-n", self.namespace,
                                   f"drive={n}", "--overwrite", check=False)
            with self.lock:
                if result.returncode == 0:
                    self.ok += 1
                else:
                    self.failures.append((time.strftime("%H:%M:%S"), result.stderr.strip()))

    def __enter__(self):
        self.threads = [threading.Thread(target=self._loop, args=(w,), daemon=True) for w in (0, 1)]
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)


def test_webhook_renews_and_rotates_its_ca_without_a_failed_admission(kube, release):
    shop = unique("rotation")
    kube.create_namespace(shop, ENABLED)
    for worker in (0, 1):
        kube.apply(deployment(f"web-{worker}", shop, "registry.example.com/shop/web:1.0.0", replicas=1))
    webhook = release.processes["webhook"]
    requests_before = release.webhook_requests()

    served, cas, bundles = [], [], []

    def observe():
        pem = served_certificate_pem(release.port)
        if not served or served[-1] != fingerprint(pem):
            served.append(fingerprint(pem))
        ca = fingerprint(base64.b64decode(release.secret()["data"]["ca.crt"]).decode())
        if not cas or cas[-1] != ca:
            cas.append(ca)
        bundle = tuple(bundle_fingerprints(base64.b64decode(release.ca_bundle()).decode()))
        if not bundles or bundles[-1] != bundle:
            bundles.append(bundle)

    with Driver(kube, shop) as driver:
        deadline = time.monotonic() + DRIVE_SECONDS
        while time.monotonic() < deadline:
            observe()
            time.sleep(0.5)
    observe()

    assert driver.failures == [], f"{len(driver.failures)} of {driver.ok + len(driver.failures)} admission " \
                                  f"requests failed across the rotation: {driver.failures[:5]}"
    assert driver.ok >= 100, f"only {driver.ok} requests were driven"
    assert release.webhook_requests() - requests_before >= driver.ok, "every request was reviewed by the webhook"
    assert webhook.alive()
    assert [line.get("msg") for line in webhook.log_lines()].count("serving") == 1, "one start, no restart"

    assert len(served) >= 4, f"the served certificate changed only {len(served) - 1} times"
    assert len(cas) >= 2, "the CA rotated"
    # Every CA ever signing was registered, the newest first, before its certificates were served.
    assert all(bundle[0] in cas for bundle in bundles)
    assert any(len(bundle) == 2 for bundle in bundles), "old and new CA trusted side by side during a rotation"
    assert bundles[-1][0] == cas[-1]
    metrics = release.webhook_metrics()
    assert metrics["autocanary_webhook_certificate_renewals_total"] >= 3
    assert metrics["autocanary_webhook_ca_bundle_updates_total"] >= 2
    assert metrics["autocanary_webhook_certificate_reloads_total"] >= 4
    assert metrics.get("autocanary_webhook_certificate_reload_errors_total", 0) == 0
    print(f"{driver.ok} admission requests, 0 failed; served certificates {len(served)}, CAs {len(cas)}, "
          f"caBundles {len(bundles)}, renewals {metrics['autocanary_webhook_certificate_renewals_total']:.0f}")


def test_webhook_without_its_secret_waits_unready_and_stops_on_sigterm(kube, release):
    # A Secret the chart did not create: the webhook may not even read it, so it keeps
    # retrying without listening, and a SIGTERM still ends it at once.
    args = [a for a in release.webhook_args() if not a.startswith("--cert-secret=")]
    kubeconfig = release.state / "webhook.kubeconfig"
    process = HostProcess(release.state.parent, "certs-webhook-no-secret", BUILD_DIR / "webhook/autocanary-webhook",
                          [*args, "--cert-secret=someone-elses", f"--kubeconfig={kubeconfig}"])
    try:
        wait_for(lambda: any(line.get("msg") == "no serving certificate yet; retrying" for line in process.log_lines()),
                 "the webhook to report the missing Secret", timeout=20)
        retry = next(line for line in process.log_lines() if line.get("msg") == "no serving certificate yet; retrying")
        assert "someone-elses" in retry["error"] and "Forbidden" in retry["error"], retry
        assert process.alive()
        process.process.terminate()
        assert process.process.wait(timeout=5) == 0
    finally:
        process.stop()

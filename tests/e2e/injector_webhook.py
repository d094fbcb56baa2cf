"""Another team's mutating webhook, as an injector, Kyverno or Gatekeeper's
mutation would be: it stamps an annotation on the pod template of every
Deployment written in the namespaces it selects. Runs in this process over
HTTPS on loopback; the apiserver calls it after ours (registrations run in name
order)."""

import base64
import json
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

INJECTED = "injector.example.com/injected"
NAME = "zz-test-injector"


def _patch_for(review):
    template = review["request"]["object"].get("spec", {}).get("template", {})
    annotations = template.get("metadata", {}).get("annotations")
    if annotations is None:
        return [{"op": "add", "path": "/spec/template/metadata/annotations", "value": {INJECTED: "true"}}]
    if INJECTED in annotations:
        return []
    return [{"op": "add", "path": "/spec/template/metadata/annotations/" + INJECTED.replace("/", "~1"),
             "value": "true"}]


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        review = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        response = {"uid": review["request"]["uid"], "allowed": True}
        patch = _patch_for(review)
        if patch:
            response["patchType"] = "JSONPatch"
            response["patch"] = base64.b64encode(json.dumps(patch).encode()).decode()
        body = json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                           "response": response}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class InjectorWebhook:
    """Serving and registered on entry (for namespaces labelled
    `injector-test=<value>`), unregistered and stopped on exit."""

    def __init__(self, kube, directory, selector_value):
        self.kube = kube
        self.selector_value = selector_value
        key, cert = directory / "injector.key", directory / "injector.crt"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
        self.ca_bundle = base64.b64encode(cert.read_bytes()).decode()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert), str(key))
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.kube.apply(f"""apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {{name: {NAME}}}
webhooks:
  - name: inject.example.com
    admissionReviewVersions: ["v1"]
    sideEffects: None
    timeoutSeconds: 5
    failurePolicy: Fail
    clientConfig:
      url: https://127.0.0.1:{self.server.server_address[1]}/mutate
      caBundle: {self.ca_bundle}
    rules:
      - apiGroups: ["apps"]
        apiVersions: ["v1"]
        operations: ["CREATE", "UPDATE"]
        resources: ["deployments"]
    namespaceSelector: {{matchLabels: {{injector-test: "{self.selector_value}"}}}}
""")
        return self

    def __exit__(self, *exc):
        self.kube.run("delete", "mutatingwebhookconfiguration", NAME, "--ignore-not-found")
        self.server.shutdown()

"""The Helm chart: it lints and renders in every certificate mode, the
apiserver accepts what it renders, and a release installed with the webhook and
coordinator on the host (webhook.externalURL) turns a labelled namespace's
Deployment changes into canaries; uninstalling removes everything the release
made and nothing users made."""

import base64
import json

import pytest
import yaml

from helm_release import CHART, Helm, HostedRelease, container_args, find
from kube import deployment, image_of, unique, wait_established, wait_for, wait_phase

ENABLED = {"autocanary.io/enabled": "true"}
V1 = "registry.example.com/shop/web:1.0.0"
V2 = "registry.example.com/shop/web:2.0.0"
CA_BUNDLE = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").decode()

MODES = {
    "selfManaged": [],
    "certManager": ["--set", "certificates.mode=certManager"],
    "secret": ["--set", "certificates.mode=secret", "--set", "certificates.secretName=my-tls",
               "--set", f"certificates.secret.caBundle={CA_BUNDLE}"],
    "externalURL": ["--set", "webhook.externalURL=https://127.0.0.1:8443/mutate",
                    "--set", "certificates.selfManaged.extraIPAddresses={127.0.0.1}"],
    "serviceMonitor": ["--set", "metrics.serviceMonitor.enabled=true"],
}
# Kinds whose CRDs this cluster does not have (cert-manager, Prometheus Operator).
FOREIGN_KINDS = {"Certificate", "Issuer", "ServiceMonitor"}


@pytest.fixture(scope="module")
def helm(kube, sole_registration):
    return Helm(kube, kube.kubeconfig.rsplit("/", 1)[0])


def test_lint_and_template_pass_in_every_mode(helm):
    lint = helm.run("lint", "--strict", str(CHART))
    assert "0 chart(s) failed" in lint.stdout
    for mode, values in MODES.items():
        helm.run("lint", "--strict", str(CHART), *values)
        docs = helm.documents("rel", "autocanary-system", *values)
        kinds = sorted(d["kind"] for d in docs)
        assert "MutatingWebhookConfiguration" in kinds and "ClusterCanaryPolicy" in kinds, mode

    bad = helm.template("rel", "autocanary-system", "--set", "certificates.mode=bogus", check=False)
    assert bad.returncode != 0 and "certificates.mode must be one of" in bad.stderr
    bad = helm.template("rel", "autocanary-system", "--set", "webhook.failurePolicy=Sometimes", check=False)
    assert bad.returncode != 0 and "failurePolicy must be Fail or Ignore" in bad.stderr


def test_safe_defaults_are_rendered(helm):
    docs = helm.documents("rel", "autocanary-system")
    hook = find(docs, "MutatingWebhookConfiguration")["webhooks"][0]
    assert hook["sideEffects"] == "None"
    assert hook["failurePolicy"] == "Fail"
    assert hook["timeoutSeconds"] <= 10
    assert hook["rules"] == [{"apiGroups": ["apps"], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"],
                              "resources": ["deployments"], "scope": "Namespaced"}]
    opt_in, excluded = hook["namespaceSelector"]["matchExpressions"]
    assert opt_in == {"key": "autocanary.io/enabled", "operator": "In", "values": ["true"]}
    assert excluded["operator"] == "NotIn" and {"kube-system", "autocanary-system"} <= set(excluded["values"])
    assert hook["matchConditions"][0]["expression"] == \
        "request.userInfo.username != 'system:serviceaccount:autocanary-system:rel-autocanary-coordinator'"
    assert hook["clientConfig"]["service"]["name"] == "rel-autocanary-webhook"

    for component in ("webhook", "coordinator"):
        spec = find(docs, "Deployment", f"-{component}")["spec"]
        assert spec["replicas"] >= 2, component
        pod = spec["template"]["spec"]
        assert pod["affinity"]["podAntiAffinity"], component
        container = pod["containers"][0]
        assert container["readinessProbe"] and container["livenessProbe"], component
        assert container["resources"]["requests"] and container["resources"]["limits"]["memory"], component
        security = container["securityContext"]
        assert security["runAsNonRoot"] and security["readOnlyRootFilesystem"], component
        assert not security["allowPrivilegeEscalation"] and security["capabilities"]["drop"] == ["ALL"]
        assert pod["serviceAccountName"] == f"rel-autocanary-{component}"
        pdb = find(docs, "PodDisruptionBudget", f"-{component}")
        assert pdb["spec"]["selector"]["matchLabels"] == spec["selector"]["matchLabels"]
    assert find(docs, "Service", "-metrics")["spec"]["ports"][0]["name"] == "metrics"

    # Self-managed: the webhook keeps the Secret and this registration's caBundle.
    args = container_args(docs, "webhook")
    assert "--cert-secret=rel-autocanary-webhook-tls" in args
    assert "--webhook-configuration=rel-autocanary" in args
    assert "--cert-dns=rel-autocanary-webhook.autocanary-system.svc" in args
    assert "--coordinator-username=system:serviceaccount:autocanary-system:rel-autocanary-coordinator" in args
    assert "--measurement-workers=4" in container_args(docs, "coordinator")
    policy = find(docs, "ClusterCanaryPolicy")
    assert policy["metadata"]["name"] == "default"
    assert policy["spec"]["steps"][-1] == {"setWeight": 100}


def test_network_policies_admit_only_the_webhook_port_and_listed_scrapers(helm):
    docs = helm.documents("rel", "autocanary-system")
    webhook = find(docs, "NetworkPolicy", "-webhook")["spec"]
    assert webhook["policyTypes"] == ["Ingress"]
    assert [rule["ports"] for rule in webhook["ingress"]] == [[{"port": "https", "protocol": "TCP"}]]
    assert find(docs, "NetworkPolicy", "-coordinator")["spec"]["ingress"] == [], "nobody scrapes until listed"

    monitoring = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
    control_plane = {"ipBlock": {"cidr": "10.0.0.0/24"}}
    docs = helm.documents("rel", "autocanary-system", "--set-json",
                          f"networkPolicy.metricsFrom=[{json.dumps(monitoring)}]", "--set-json",
                          f"networkPolicy.webhookFrom=[{json.dumps(control_plane)}]")
    assert find(docs, "NetworkPolicy", "-coordinator")["spec"]["ingress"] == [
        {"ports": [{"port": "metrics", "protocol": "TCP"}], "from": [monitoring]}]
    assert find(docs, "NetworkPolicy", "-webhook")["spec"]["ingress"][0]["from"] == [control_plane]

    docs = helm.documents("rel", "autocanary-system", *MODES["externalURL"])
    assert [d["metadata"]["name"] for d in docs if d["kind"] == "NetworkPolicy"] == ["rel-autocanary-coordinator"]


def test_cert_manager_and_own_secret_modes_wire_the_ca(helm):
    docs = helm.documents("rel", "autocanary-system", *MODES["certManager"])
    hook = find(docs, "MutatingWebhookConfiguration")
    certificate = find(docs, "Certificate", "-webhook")
    assert hook["metadata"]["annotations"]["cert-manager.io/inject-ca-from"] == \
        f"autocanary-system/{certificate['metadata']['name']}"
    assert "rel-autocanary-webhook.autocanary-system.svc" in certificate["spec"]["dnsNames"]
    volume = find(docs, "Deployment", "-webhook")["spec"]["template"]["spec"]["volumes"][0]
    assert volume["secret"]["secretName"] == certificate["spec"]["secretName"]
    assert not any(a.startswith("--cert-secret") for a in container_args(docs, "webhook"))
    assert not [d for d in docs if d["kind"] == "Role" and d["metadata"]["name"].endswith("-webhook")], \
        "no Secret access when cert-manager writes it"

    docs = helm.documents("rel", "autocanary-system", *MODES["secret"])
    hook = find(docs, "MutatingWebhookConfiguration")["webhooks"][0]
    assert hook["clientConfig"]["caBundle"] == CA_BUNDLE
    volume = find(docs, "Deployment", "-webhook")["spec"]["template"]["spec"]["volumes"][0]
    assert volume["secret"]["secretName"] == "my-tls"
    secrets = [d["metadata"]["name"] for d in docs if d["kind"] == "Secret"]
    assert secrets == ["rel-autocanary-coordinator-policy-seal"], "the user brings the TLS Secret; ours is the seal key"

    docs = helm.documents("rel", "autocanary-system", *MODES["externalURL"])
    hook = find(docs, "MutatingWebhookConfiguration")["webhooks"][0]
    assert hook["clientConfig"] == {"url": "https://127.0.0.1:8443/mutate"}
    assert not [d for d in docs if d["kind"] in ("Service", "PodDisruptionBudget", "Deployment")
                and d["metadata"]["name"].endswith("-webhook")], "the webhook runs elsewhere"


def test_rendered_manifests_are_accepted_by_the_apiserver(kube, helm):
    kube.run("apply", "--server-side", "-f", str(CHART / "crds"))
    wait_established(kube, "clustercanarypolicies.autocanary.io")
    namespace = unique("dry")
    kube.create_namespace(namespace)
    for mode, values in MODES.items():
        docs = [d for d in helm.documents("rel", namespace, *values) if d["kind"] not in FOREIGN_KINDS]
        manifest = yaml.safe_dump_all(docs)
        result = kube.run("apply", "--dry-run=server", "-f", "-", stdin=manifest, check=False)
        assert result.returncode == 0, f"{mode}: the apiserver refused the chart:\n{result.stderr}"
        assert result.stdout.count("(server dry run)") == len(docs), mode


def test_install_with_host_webhook_gives_labelled_namespaces_canaries_and_uninstall_cleans_up(kube, helm):
    namespace = unique("chart-system")
    kube.create_namespace(namespace)
    release = HostedRelease(kube, helm, kube.kubeconfig.rsplit("/", 1)[0], "chart", namespace)
    with release.removed_on_failure():
        release.install()
        release.start_webhook()
        # Self-managed certificates: the webhook filled the chart's Secret and its own caBundle.
        secret = release.secret()
        assert set(secret["data"]) == {"ca.crt", "ca.key", "tls.crt", "tls.key", "ca-bundle.crt"}
        assert base64.b64decode(release.ca_bundle()) == base64.b64decode(secret["data"]["ca-bundle.crt"])
        release.start_coordinator()

        shop = unique("shop")
        kube.create_namespace(shop, ENABLED)
        kube.apply(deployment("web", shop, V1, replicas=4))
        kube.run("rollout", "status", "deployment/web", "-n", shop, "--timeout=90s", timeout=100)
        kube.apply(deployment("web", shop, V2, replicas=4))
        live = kube.get("deployment", "web", shop)
        assert image_of(live) == V1, "the webhook kept the stable template"
        revision = live["metadata"]["annotations"]["autocanary.io/pending-revision"]
        done = wait_phase(kube, shop, "web", "Succeeded", timeout=120)
        assert done["revision"] == revision
        assert done["policy"]["name"] == "default", "the chart's default ClusterCanaryPolicy drove it"
        assert [s["description"] for s in done["steps"]] == ["setWeight 25", "analysis pod-health", "setWeight 100"]
        assert image_of(kube.get("deployment", "web", shop)) == V2

        plain = unique("plain")
        kube.create_namespace(plain)
        kube.apply(deployment("web", plain, V1))
        kube.apply(deployment("web", plain, V2))
        untouched = kube.get("deployment", "web", plain)
        assert image_of(untouched) == V2 and "autocanary.io/pending-revision" not in \
            untouched["metadata"].get("annotations", {}), "an unlabelled namespace is not the webhook's business"
    release.stop_all()

    before = owned_objects(kube, "chart")
    assert {"MutatingWebhookConfiguration", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding",
            "ServiceAccount", "Secret", "Deployment", "Service", "PodDisruptionBudget", "Lease",
            "ClusterCanaryPolicy"} <= {kind for kind, _ in before}
    release.uninstall()
    wait_for(lambda: not owned_objects(kube, "chart"), "every object of the release to be gone", timeout=60)
    assert kube.run("get", "lease", "chart-autocanary-coordinator", "-n", namespace, check=False).returncode != 0
    assert kube.run("get", "secret", "chart-autocanary-webhook-tls", "-n", namespace, check=False).returncode != 0
    # What users made stays: their namespaces, Deployments and the rollout records of them, and the CRDs
    # (helm never deletes CRDs: that would delete every user's Canary records with them).
    assert image_of(kube.get("deployment", "web", shop)) == V2
    assert kube.get("canaries.autocanary.io", "web", shop)["status"]["phase"] == "Succeeded"
    assert kube.get("deployment", "web", plain)
    kube.run("get", "crd", "canaries.autocanary.io", "clustercanarypolicies.autocanary.io")


KINDS = ["mutatingwebhookconfigurations", "clusterroles", "clusterrolebindings", "roles", "rolebindings",
         "serviceaccounts", "secrets", "deployments", "services", "poddisruptionbudgets", "leases",
         "clustercanarypolicies", "replicasets", "pods", "configmaps"]


def owned_objects(kube, release):
    """Every object labelled as the release's, or helm's record of it."""
    found = set()
    for kind in KINDS:
        result = kube.run("get", kind, "-A", "-l", f"app.kubernetes.io/instance={release}", "-o", "json")
        for item in json.loads(result.stdout)["items"]:
            found.add((item["kind"], item["metadata"]["name"]))
    result = kube.run("get", "secrets", "-A", "-l", f"owner=helm,name={release}", "-o", "json")
    for item in json.loads(result.stdout)["items"]:
        found.add(("HelmRelease", item["metadata"]["name"]))
    return found

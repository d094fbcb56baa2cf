"""Least privilege: the chart's ServiceAccounts may do exactly what the code
calls and nothing more (kubectl auth can-i --list), every resource the code
addresses is granted, and a full rollout runs under those identities without a
single refused request."""

import re

import pytest

from helm_release import Helm, HostedRelease
from kube import ROOT, deployment, image_of, refusal, unique, wait_phase

ENABLED = {"autocanary.io/enabled": "true"}
ALL = {"get", "list", "watch", "create", "update", "patch", "delete"}
ANY_GROUP = "*"

# What the code calls, by ServiceAccount: (resource.group, resourceNames) -> verbs.
# Keep in step with charts/autocanary/templates/rbac.yaml; the tests below fail when
# either grants or needs more than the other.
COORDINATOR = {
    ("deployments.apps", ""): ALL,                                   # reconciler: workloads, promotion
    ("deployments.apps/status", ""): {"patch"},                      # the Canary condition
    ("replicasets.apps", ""): {"list"},                              # the stable pod-template-hash
    ("pods", ""): {"list", "watch"},                                 # canary pod health (informer)
    ("events", ""): {"create"},
    ("canaries.autocanary.io", ""): {"get", "list", "watch", "create"},
    ("canaries.autocanary.io/status", ""): {"get", "update"},
    ("clustercanarypolicies.autocanary.io", ""): {"list", "watch"},  # PolicyStore informers
    ("namespaces", ""): {"list", "watch"},
    ("services", ""): {"get", "list", "create", "update", "delete"},  # traffic routers
    ("trafficsplits.split.smi-spec.io", ""): {"get", "create", "update", "delete"},
    ("httproutes.gateway.networking.k8s.io", ""): {"get", "list", "create", "update", "delete"},
    ("grpcroutes.gateway.networking.k8s.io", ""): {"get", "list", "update"},  # the user's, reweighted in place
    ("gatewayclasses.gateway.networking.k8s.io", ""): {"list"},              # does a mesh implement GAMMA?
    ("virtualservices.networking.istio.io", ""): {"get", "list", "create", "update", "delete"},
    ("jobs.batch", ""): {"get", "list", "watch", "create", "patch"},  # test steps (owned: GC removes them), sealed
    ("leases.coordination.k8s.io", "{lease}"): {"get", "update"},     # leader election
    ("leases.coordination.k8s.io", ""): {"create"},
}
WEBHOOK = {
    ("clustercanarypolicies.autocanary.io", ""): {"list", "watch"},
    ("namespaces", ""): {"list", "watch"},
    ("secrets", "{secret}"): {"get", "update"},                              # self-managed certificates
    ("mutatingwebhookconfigurations.admissionregistration.k8s.io", "{registration}"): {"get", "update"},
}
# Which ServiceAccount runs the code in each folder.
SOURCE_OWNERS = {"webhook": {"webhook"}, "policy": {"webhook", "coordinator"}, "coordinator": {"coordinator"}}
# The reference helpers of kube/resources.h and policy/resources.h, by name:
# a call addresses the resource; the headers that define them address nothing.
HELPERS = {"deployments": ("deployments", "apps"), "replicasets": ("replicasets", "apps"), "pods": ("pods", ""),
           "services": ("services", ""), "events": ("events", ""), "secrets": ("secrets", ""),
           "namespaces": ("namespaces", ""), "jobs": ("jobs", "batch"), "leases": ("leases", "coordination.k8s.io"),
           "mutating_webhook_configurations": ("mutatingwebhookconfigurations", "admissionregistration.k8s.io"),
           "canaries": ("canaries", "autocanary.io"), "cluster_canary_policies": ("clustercanarypolicies",
                                                                                   "autocanary.io")}
HELPER_DEFINITIONS = {"kube/resources.h", "policy/resources.h"}


def can_i_list(kube, user, namespace):
    """{(resource, resourceNames): verbs} from `kubectl auth can-i --list`."""
    output = kube.run("auth", "can-i", "--list", f"--as={user}", "-n", namespace).stdout
    rules = {}
    for line in output.splitlines()[1:]:
        if not line.strip():
            continue
        fields = re.split(r"\s{2,}", line.strip())
        if line[0].isspace():  # a non-resource URL rule
            continue
        resource, _urls, names, verbs = fields
        key = (resource, names.strip("[]"))
        rules.setdefault(key, set()).update(verbs.strip("[]").split())
    return rules


def granted_to_everyone(kube, namespace):
    kube.apply(f"apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: nobody\n  namespace: {namespace}\n")
    return can_i_list(kube, f"system:serviceaccount:{namespace}:nobody", namespace)


def expected(table, release):
    names = {"lease": release.fullname + "-coordinator", "secret": release.fullname + "-webhook-tls",
             "registration": release.fullname}
    return {(resource, pattern.format(**names)): verbs for (resource, pattern), verbs in table.items()}


def resources_the_code_addresses():
    """(owner, resource, group) for every resource named in a ResourceRef, a
    call of a reference helper, a routing API or a routing_ref call in the sources."""
    patterns = [
        # kube::deployments(ns, name), policy::canaries(…), or the same after a using-declaration
        (re.compile(r'(?<![\w.>])(?:kube::|policy::)?(' + "|".join(HELPERS) + r')\('), lambda m: HELPERS[m[1]]),
        # ResourceRef{"group", "version", "resource", …} and {"group", "version", "resource", …}
        (re.compile(r'\{\s*"([a-z0-9.-]*)"\s*,\s*"(v\d[a-z0-9]*)"\s*,\s*"([a-z]+)"'), lambda m: (m[3], m[1])),
        # RoutingApi api{"group", "resource", {versions}}
        (re.compile(r'RoutingApi\s+\w+\s*\{\s*"([a-z0-9.-]+)"\s*,\s*"([a-z]+)"'), lambda m: (m[2], m[1])),
        # routing_ref(api_version, "resource", …): the group comes from the routing API
        (re.compile(r'routing_ref\([^,()]+,\s*"([a-z]+)"'), lambda m: (m[1], ANY_GROUP)),
    ]
    found = set()
    for folder, owners in SOURCE_OWNERS.items():
        for path in (ROOT / folder).rglob("*.[ch]*"):
            if str(path.relative_to(ROOT)) in HELPER_DEFINITIONS:
                continue
            text = path.read_text()
            for pattern, pick in patterns:
                for match in pattern.finditer(text):
                    resource, group = pick(match)
                    for owner in owners:
                        found.add((owner, resource, group, str(path.relative_to(ROOT))))
    return found


@pytest.fixture(scope="module")
def release(kube, sole_registration):
    helm = Helm(kube, kube.kubeconfig.rsplit("/", 1)[0])
    namespace = unique("rbac-system")
    kube.create_namespace(namespace)
    hosted = HostedRelease(kube, helm, kube.kubeconfig.rsplit("/", 1)[0], "rbac", namespace)
    with hosted.removed_on_failure():
        hosted.install()
    yield hosted
    hosted.stop_all()
    hosted.uninstall()


@pytest.mark.parametrize("component", ["coordinator", "webhook"])
def test_service_accounts_may_do_exactly_what_the_code_calls(kube, release, component):
    baseline = granted_to_everyone(kube, release.namespace)
    user = f"system:serviceaccount:{release.namespace}:{release.fullname}-{component}"
    granted = {key: verbs - baseline.get(key, set()) for key, verbs in can_i_list(kube, user, release.namespace).items()}
    granted = {key: verbs for key, verbs in granted.items() if verbs}
    needed = expected(COORDINATOR if component == "coordinator" else WEBHOOK, release)
    beyond = {key: verbs - needed.get(key, set()) for key, verbs in granted.items() if verbs - needed.get(key, set())}
    assert beyond == {}, f"{component} may do more than the code needs"
    missing = {key: verbs - granted.get(key, set()) for key, verbs in needed.items() if verbs - granted.get(key, set())}
    assert missing == {}, f"{component} lacks permissions the code needs"
    # Nothing in any other namespace beyond the cluster-wide rules.
    elsewhere = can_i_list(kube, user, "kube-system")
    assert not [key for key in elsewhere if key[0] in ("secrets", "leases.coordination.k8s.io")], \
        "Secrets and Leases only in the release namespace"


def test_every_resource_the_code_addresses_is_granted():
    granted = {"coordinator": {r.split("/")[0] for r, _ in COORDINATOR},
               "webhook": {r.split("/")[0] for r, _ in WEBHOOK}}
    found = resources_the_code_addresses()
    assert {resource for _, resource, _, _ in found} >= {"deployments", "pods", "canaries", "leases", "secrets",
                                                        "mutatingwebhookconfigurations"}, "the scan finds refs"
    ungranted = []
    for owner, resource, group, path in sorted(found):
        names = {r.split(".", 1)[0] for r in granted[owner]}
        qualified = resource if not group else f"{resource}.{group}"
        if resource not in names if group == ANY_GROUP else qualified not in granted[owner]:
            ungranted.append(f"{path}: {owner} addresses {qualified}")
    assert ungranted == [], "the chart grants nothing for:\n" + "\n".join(ungranted)


def test_a_full_rollout_runs_under_the_chart_identities(kube, release):
    release.start_webhook()
    release.start_coordinator()
    shop = unique("rbac-shop")
    kube.create_namespace(shop, ENABLED)
    kube.apply(deployment("web", shop, "registry.example.com/shop/web:1.0.0", replicas=4))
    kube.run("rollout", "status", "deployment/web", "-n", shop, "--timeout=90s", timeout=100)
    kube.apply(deployment("web", shop, "registry.example.com/shop/web:2.0.0", replicas=4))
    done = wait_phase(kube, shop, "web", "Succeeded", timeout=120)
    assert done["history"][-1]["outcome"] == "Succeeded"
    assert image_of(kube.get("deployment", "web", shop)) == "registry.example.com/shop/web:2.0.0"
    kube.run("wait", "--for=condition=Canary", "deployment/web", "-n", shop, "--timeout=30s")
    events = {e["reason"] for e in kube.get("events", namespace=shop)["items"] if e["involvedObject"]["name"] == "web"}
    assert {"CanaryStarted", "Promoted"} <= events, "events are written under the coordinator's identity"
    lease = kube.get("lease", release.fullname + "-coordinator", release.namespace)
    assert lease["spec"]["holderIdentity"] == "coordinator-a", "the chart's Lease elected the host coordinator"
    for name, process in release.processes.items():
        refused = [line for line in process.log.read_text().splitlines() if refusal(line)]
        assert refused == [], f"{name} was refused by RBAC:\n" + "\n".join(refused[:5])

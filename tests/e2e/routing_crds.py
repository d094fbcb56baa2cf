"""The routing APIs' upstream CRDs (../shared/crds) as the e2e modules install
and remove them. up.sh installs them all; a module that removes some puts them
all back when it ends, so no module depends on the order they run in."""

import yaml

from kube import ROOT, SLOW_API_TIMEOUT, delete_crds, wait_established, wait_for

CRDS = ROOT.parent / "shared" / "crds"
SMI_CRD = "trafficsplits.split.smi-spec.io"
MESH_CRDS = {
    "smi": [SMI_CRD],
    # Every CRD the upstream files hold (TLSRoute and BackendTLSPolicy too): the
    # group leaves discovery only when the last of them is gone.
    "gatewayAPI": sorted(yaml.safe_load(path.read_text())["metadata"]["name"]
                         for path in (CRDS / "gateway-api").glob("*.yaml")),
    "istio": ["virtualservices.networking.istio.io", "destinationrules.networking.istio.io"],
}
CRD_FILES = {
    "smi": [CRDS / "smi-trafficsplit.yaml"],
    "gatewayAPI": sorted((CRDS / "gateway-api").glob("*.yaml")),
    "istio": [CRDS / "istio-networking.yaml"],
}


def apply_files(kube, files):
    args = [a for f in files for a in ("-f", str(f))]
    kube.run("apply", "--server-side", "--force-conflicts", *args, timeout=120)


def install_only(kube, backend):
    """Leaves exactly one mesh's routing CRDs installed (none for None)."""
    for name, crds in MESH_CRDS.items():
        if name != backend:
            delete_crds(kube, *crds)
            group = crds[0].split(".", 1)[1]
            wait_for(lambda: kube.run("get", "--raw", f"/apis/{group}", check=False).returncode != 0,
                     f"{group} gone from discovery", timeout=SLOW_API_TIMEOUT)
    if backend:
        apply_files(kube, CRD_FILES[backend])
        wait_established(kube, *MESH_CRDS[backend])


def install_all_as_upstream(kube):
    """Every upstream CRD as it is, as up.sh leaves the cluster (a TrafficSplit
    CRD a test rewrote is deleted first: its stored versions may differ)."""
    delete_crds(kube, SMI_CRD)
    apply_files(kube, [f for files in CRD_FILES.values() for f in files])
    wait_established(kube, *[crd for crds in MESH_CRDS.values() for crd in crds])

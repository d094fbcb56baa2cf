"""The C++ Kubernetes API client (webhook/kube) against the real control plane:
runs the GoogleTest binary kube_client_cluster_test with the `kube` fixture's kubeconfig."""

import os
import subprocess

from kube import ROOT

BUILD_DIR = ROOT / os.environ.get("BUILD_DIR", "build")
BINARY = BUILD_DIR / "tests/kube_client_cluster_test"


def test_kube_client_against_the_control_plane(kube):
    assert BINARY.is_file(), f"{BINARY} is missing: build the project first (scripts/build.sh)"
    result = subprocess.run([str(BINARY)], env={**os.environ, "KUBECONFIG": kube.kubeconfig},
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, (f"kube_client_cluster_test failed (exit {result.returncode}):\n"
                                    f"{result.stdout}\n{result.stderr}")

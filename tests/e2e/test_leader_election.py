"""Leader election (webhook/coordinator/leader_election) against the real control
plane: runs the GoogleTest binary leader_election_cluster_test with the `kube`
fixture's kubeconfig. Two electors share a Lease; a crashed leader is replaced when
its lease expires, a stopped one at once."""

import os
import subprocess

from kube import ROOT

BUILD_DIR = ROOT / os.environ.get("BUILD_DIR", "build")
BINARY = BUILD_DIR / "tests/leader_election_cluster_test"


def test_leader_election_against_the_control_plane(kube):
    assert BINARY.is_file(), f"{BINARY} is missing: build the project first (scripts/build.sh)"
    result = subprocess.run([str(BINARY)], env={**os.environ, "KUBECONFIG": kube.kubeconfig},
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, (f"leader_election_cluster_test failed (exit {result.returncode}):\n"
                                    f"{result.stdout}\n{result.stderr}")

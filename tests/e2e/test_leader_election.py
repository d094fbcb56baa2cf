"""Leader election (webhook/coordinator/leader_election) against the real control
plane: runs the GoogleTest binary leader_election_cluster_test with the `kube`
fixture's kubeconfig. Two electors share a Lease; a crashed leader is replaced when
its lease expires, a stopped one at once."""

from kube import run_cluster_test_binary


def test_leader_election_against_the_control_plane(kube):
    run_cluster_test_binary(kube, "leader_election_cluster_test")

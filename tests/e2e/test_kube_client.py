"""The C++ Kubernetes API client (webhook/kube) against the real control plane:
runs the GoogleTest binary kube_client_cluster_test with the `kube` fixture's kubeconfig."""

from kube import run_cluster_test_binary


def test_kube_client_against_the_control_plane(kube):
    run_cluster_test_binary(kube, "kube_client_cluster_test")

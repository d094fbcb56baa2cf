"""The webhook process down: never a problem outside opted-in namespaces; in
them, the registration's failurePolicy decides, with a clear error."""

from kube import deployment, image_of, unique

ENABLED = {"autocanary.io/enabled": "true"}
V1 = "registry.example.com/shop/web:1.0.0"
V2 = "registry.example.com/shop/web:2.0.0"


def test_webhook_down_blocks_only_opted_in_namespaces_per_failure_policy(kube, webhook):
    opted_in = unique("optin")
    plain = unique("plain")
    kube.create_namespace(opted_in, ENABLED)
    kube.create_namespace(plain)
    kube.apply(deployment("web", opted_in, V1))

    webhook.stop()
    try:
        kube.apply(deployment("web", plain, V1))
        kube.apply(deployment("web", plain, V2))
        assert image_of(kube.get("deployment", "web", plain)) == V2

        refused = kube.apply(deployment("web", opted_in, V2), check=False)
        assert refused.returncode != 0
        assert 'failed calling webhook "deployments.autocanary.io"' in refused.stderr, refused.stderr
        assert image_of(kube.get("deployment", "web", opted_in)) == V1

        webhook.register("Ignore")
        kube.apply(deployment("web", opted_in, V2))
        assert image_of(kube.get("deployment", "web", opted_in)) == V2, "Ignore admits the change unreviewed"
    finally:
        webhook.register("Fail")
        webhook.start()

"""Real pods on the local cluster's real node (tests/cluster/real-node.sh):
containers run under containerd and runc from images built by scripts/images.sh,
the kubelet executes their probes, and kube-proxy balances a Service ClusterIP."""

import collections
import time
import urllib.error
import urllib.request

from kube import unique, wait_for

IMAGE = "autocanary-test-app:dev"


def app(name, namespace, node, version, replicas, **env):
    """A Deployment of the test app pinned to the real node (label and taint)."""
    env_lines = "".join(f"\n            - name: {k}\n              value: \"{v}\"" for k, v in
                        {"APP_VERSION": version, **env}.items())
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {namespace}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: demo, version: {version}}}
  template:
    metadata:
      labels: {{app: demo, version: {version}}}
    spec:
      nodeSelector: {{kubernetes.io/hostname: "{node}"}}
      tolerations:
        - {{key: autocanary.io/real-node, operator: Exists, effect: NoSchedule}}
      terminationGracePeriodSeconds: 5
      containers:
        - name: app
          image: {IMAGE}
          imagePullPolicy: Never
          ports: [{{containerPort: 8080}}]
          readinessProbe:
            httpGet: {{path: /ready, port: 8080}}
            periodSeconds: 1
          env:{env_lines}
"""


SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: demo
  namespace: {namespace}
spec:
  selector: {{app: demo}}
  ports: [{{port: 80, targetPort: 8080}}]
"""


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return None, ""


def answers(url, n):
    """(status, version, host) of N requests, each on its own connection."""
    result = []
    for _ in range(n):
        status, body = get(url)
        fields = dict(f.split("=", 1) for f in body.split() if "=" in f)
        result.append((status, fields.get("version"), fields.get("host")))
    return result


def pods(kube, namespace, selector):
    return kube.get("pods", namespace=namespace, selector=selector)["items"]


def ready(pod):
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", []))


def rollout(kube, namespace, name):
    kube.run("rollout", "status", f"deployment/{name}", "-n", namespace, "--timeout=90s", timeout=100)


def test_service_traffic_reaches_real_pods_of_two_versions(kube, real_node):
    ns = unique("real")
    kube.create_namespace(ns)
    try:
        started = time.monotonic()
        kube.apply(app("demo-v1", ns, real_node.name, "v1", 2))
        kube.apply(SERVICE.format(namespace=ns))
        rollout(kube, ns, "demo-v1")
        print(f"2 pods Ready {time.monotonic() - started:.1f}s after apply")

        v1_pods = pods(kube, ns, "version=v1")
        assert len(v1_pods) == 2
        for pod in v1_pods:
            assert pod["spec"]["nodeName"] == real_node.name
            assert pod["status"]["podIP"].startswith("10.245.0.")
            status = pod["status"]["containerStatuses"][0]
            assert status["containerID"].startswith("containerd://") and status["started"], status
        # The kubelet serves logs to the apiserver: a real process wrote this.
        log = kube.run("logs", "-n", ns, v1_pods[0]["metadata"]["name"]).stdout
        assert "version v1 listening on 8080" in log

        ip = kube.get("service", "demo", ns)["spec"]["clusterIP"]
        url = f"http://{ip}/"
        # kube-proxy programs the Service a moment after its endpoints appear,
        # and may program one endpoint before the other: wait until both answer.
        names = {p["metadata"]["name"] for p in v1_pods}
        wait_for(lambda: {host for _, _, host in answers(url, 10)} == names,
                 f"Service {ip} balancing over both pods", timeout=30)
        seen = answers(url, 40)
        assert all(status == 200 and version == "v1" for status, version, _ in seen), seen
        hosts = collections.Counter(host for _, _, host in seen)
        # Both were just seen answering; missing one in 40 random picks is 2^-39.
        assert set(hosts) == names, hosts
        print(f"v1 only: {dict(hosts)}")

        kube.apply(app("demo-v2", ns, real_node.name, "v2", 1))
        rollout(kube, ns, "demo-v2")
        wait_for(lambda: any(v == "v2" for _, v, _ in answers(url, 5)), "v2 answering through the Service",
                 timeout=30)
        split = collections.Counter(version for status, version, _ in answers(url, 90) if status == 200)
        print(f"v1 x2 + v2 x1: {dict(split)}")
        assert sum(split.values()) == 90, split
        # One pod in three: about 30 of 90; (2/3)^90 makes zero impossible in practice.
        assert 10 <= split["v2"] <= 60, split
        assert split["v1"] > 0, split
    finally:
        kube.run("delete", "namespace", ns, "--wait=true", "--timeout=60s", check=False, timeout=70)


def test_probes_and_restarts_are_real(kube, real_node):
    """The kubelet runs the readiness probe (a never-ready pod stays out of the
    Service) and restarts a crashing container."""
    ns = unique("real-fail")
    kube.create_namespace(ns)
    try:
        kube.apply(app("never", ns, real_node.name, "never", 1, APP_NEVER_READY=1))
        kube.apply(app("crash", ns, real_node.name, "crash", 1, APP_EXIT_AFTER=1))
        kube.apply(app("errors", ns, real_node.name, "errors", 1, APP_ERROR_RATE=0.5))
        rollout(kube, ns, "errors")

        def restarted():
            statuses = pods(kube, ns, "version=crash")[0]["status"].get("containerStatuses", [])
            return statuses and statuses[0]["restartCount"] >= 1
        wait_for(restarted, "the crashing container restarted", timeout=60)

        never = pods(kube, ns, "version=never")[0]
        assert never["status"]["phase"] == "Running"
        assert never["status"]["containerStatuses"][0]["started"]
        assert not ready(never), never["status"]

        # Straight to the pod IP: every second request of the error-rate app fails.
        pod_ip = pods(kube, ns, "version=errors")[0]["status"]["podIP"]
        statuses = collections.Counter(status for status, _, _ in answers(f"http://{pod_ip}:8080/", 10))
        assert statuses == {200: 5, 500: 5}, statuses
    finally:
        kube.run("delete", "namespace", ns, "--wait=true", "--timeout=60s", check=False, timeout=70)


def test_project_images_run_on_the_real_node(kube, real_node):
    """The images scripts/images.sh builds from build-release run as they would
    in a cluster: the shim as a native sidecar gating the app's readiness, and
    the certs tool from the autocanary image, both as user 65532 on a read-only
    root filesystem."""
    real_node.import_images("autocanary", "autocanary-shim")
    ns = unique("real-images")
    kube.create_namespace(ns)
    restricted = ("securityContext: {runAsNonRoot: true, runAsUser: 65532, readOnlyRootFilesystem: true, "
                  "allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}")
    placement = (f"nodeSelector: {{kubernetes.io/hostname: \"{real_node.name}\"}}\n"
                 "  tolerations: [{key: autocanary.io/real-node, operator: Exists, effect: NoSchedule}]")
    try:
        kube.apply(f"""apiVersion: v1
kind: Pod
metadata: {{name: shimmed, namespace: {ns}}}
spec:
  {placement}
  initContainers:
    - name: autocanary-shim
      image: autocanary-shim:dev
      imagePullPolicy: Never
      restartPolicy: Always
      env:
        - {{name: AUTOCANARY_SHIM_PROBES, value: '["http:8080/ready"]'}}
        - {{name: AUTOCANARY_SHIM_PORT, value: "17021"}}
      readinessProbe: {{httpGet: {{port: 17021, path: /ready}}, periodSeconds: 1, failureThreshold: 1}}
      {restricted}
  containers:
    - name: app
      image: {IMAGE}
      imagePullPolicy: Never
      env: [{{name: APP_START_DELAY, value: "2"}}]
      {restricted}
---
apiVersion: v1
kind: Pod
metadata: {{name: certs, namespace: {ns}}}
spec:
  {placement}
  restartPolicy: Never
  containers:
    - name: certs
      image: autocanary:dev
      imagePullPolicy: Never
      command: [/usr/local/bin/autocanary-certs, --out-dir, /out, --dns, webhook.example]
      volumeMounts: [{{name: out, mountPath: /out}}]
      {restricted}
  volumes: [{{name: out, emptyDir: {{}}}}]
""")
        wait_for(lambda: kube.get("pod", "certs", ns)["status"].get("phase") == "Succeeded",
                 "the certs tool's pod Succeeded", timeout=60)
        kube.run("wait", "--for=condition=Ready", "pod/shimmed", "-n", ns, "--timeout=60s", timeout=70)
        shim = kube.get("pod", "shimmed", ns)["status"]["initContainerStatuses"][0]
        assert shim["ready"] and shim["started"], shim
    finally:
        kube.run("delete", "namespace", ns, "--wait=true", "--timeout=60s", check=False, timeout=70)

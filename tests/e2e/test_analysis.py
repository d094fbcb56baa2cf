"""Canary analysis through a real apiserver: Prometheus metric checks against a
real Prometheus (Debian's package) scraping a test exporter, the built-in pod
health failing fast, test Jobs run by the cluster's job controller, and HTTP
gates. Policies are ClusterCanaryPolicies; a namespace label picks one."""

import json
import time

import pytest

from analysis_servers import Exporter, Gate, Prometheus, StalledPrometheus
from kube import Coordinators, canary_status, deployment, image_of, unique, wait_for, wait_phase

V1 = "registry.example.com/shop/web:1.0.0"
V2 = "registry.example.com/shop/web:2.0.0"

ERROR_RATIO = ('sum(rate(http_requests_total{namespace="{{namespace}}",deployment="{{canary}}",code=~"5.."}[5s]))'
               ' / sum(rate(http_requests_total{namespace="{{namespace}}",deployment="{{canary}}"}[5s]))')
REQUESTS = 'sum(increase(http_requests_total{namespace="{{namespace}}",deployment="{{canary}}"}[5s]))'


def prometheus_policy(name, address, steps="[{setWeight: 50}, {analysis: {names: [error-rate]}}, {setWeight: 100}]",
                      count=3, interval="1s", inconclusive_limit=10, minimum_sample=0, timeout="2s"):
    samples = "" if not minimum_sample else f"""
        sampleQuery: '{REQUESTS}'
      minimumSample: {minimum_sample}"""
    return f"""apiVersion: autocanary.io/v1alpha1
kind: ClusterCanaryPolicy
metadata: {{name: {name}}}
spec:
  steps: {steps}
  trafficBackend: podRatio
  abortScaleDownDelay: 0s
  analyses:
    - name: error-rate
      prometheus:
        address: {address}
        query: '{ERROR_RATIO}'
        timeout: {timeout}{samples}
      successCondition: {{max: 0.01}}
      interval: {interval}
      count: {count}
      inconclusiveLimit: {inconclusive_limit}
"""


@pytest.fixture(scope="module")
def analysis(kube, webhook, tmp_path_factory):
    """Coordinator (without --policy-file), exporter and Prometheus."""
    replicas = Coordinators(webhook.state.parent, "")
    replicas._script("setup")
    webhook.stop()  # restarted so that it watches the policies (the CRD exists now)
    webhook.start()
    replicas.start("analysis")
    exporter = Exporter()
    prometheus = Prometheus(tmp_path_factory.mktemp("prometheus"), exporter.port)
    prometheus.start()
    yield kube, exporter, prometheus, replicas
    prometheus.stop()
    exporter.close()
    replicas.stop("analysis")


def use_policy(kube, policy_yaml, prefix):
    """A namespace choosing the policy (named like the namespace)."""
    ns = unique(prefix)
    kube.apply(policy_yaml.replace("{name: NAME}", f"{{name: {ns}}}"))
    kube.create_namespace(ns, {"autocanary.io/enabled": "true", "autocanary.io/policy": ns})
    return ns


def serve_ratio(exporter, prometheus, ns, ratio, per_second=Exporter.REQUESTS_PER_SECOND):
    """The exporter serves the canary's requests with this 5xx ratio, and
    Prometheus has enough samples to compute it: an analysis starting now
    measures the ratio, not the absence of data."""
    exporter.set_ratio(ns, "web-canary", ratio, per_second)
    wait_for(lambda: prometheus.query(f'sum(rate(http_requests_total{{namespace="{ns}"}}[5s]))'),
             f"Prometheus to have rates for {ns}", timeout=30)


def roll(kube, ns):
    kube.apply(deployment("web", ns, V1, replicas=2))
    kube.run("rollout", "status", "deployment/web", "-n", ns, "--timeout=90s", timeout=100)
    kube.apply(deployment("web", ns, V2, replicas=2))


def wait_status(kube, ns, predicate, what, timeout=90):
    """The Canary's status once `predicate(status)` holds; on a timeout the
    failure shows the last status seen."""
    seen = {}

    def check():
        seen["status"] = canary_status(kube, ns, "web")
        return predicate(seen["status"]) and seen["status"]
    try:
        return wait_for(check, what, timeout=timeout)
    except AssertionError as timed_out:
        raise AssertionError(f"{timed_out}; last status: {json.dumps(seen.get('status'), indent=1)}") from None


def measurements(status, name):
    return [m for m in status.get("measurements", []) if m["analysis"] == name]


def run_of(status, name):
    return next((r for r in status.get("analysisRuns", []) if r["analysis"] == name), {})


def aborted_because(status):
    """Why the canary was aborted: the failed step's message (the status
    message moves on to "held until retried" once the canary is removed)."""
    failed = [step for step in status.get("steps", []) if step.get("result") == "Failed"]
    assert failed, status
    return failed[-1]["message"]


def events(kube, ns, reason):
    return [e for e in kube.get("events", namespace=ns)["items"] if e["reason"] == reason]


# ---- Prometheus ---------------------------------------------------------------


def test_a_low_error_ratio_promotes_with_the_measured_values_in_the_status(analysis):
    kube, exporter, prometheus, _ = analysis
    ns = use_policy(kube, prometheus_policy("NAME", prometheus.address), "prom-ok")
    serve_ratio(exporter, prometheus, ns, 0.002)
    roll(kube, ns)
    status = wait_phase(kube, ns, "web", "Succeeded", timeout=120)
    values = [m["value"] for m in measurements(status, "error-rate") if m["outcome"] == "Passed"]
    assert len(values) == 3, status["measurements"]
    assert all(v == pytest.approx(0.002, rel=0.05) for v in values), values
    assert status["policy"]["name"] == ns, "query and threshold came from the ClusterCanaryPolicy"
    assert image_of(kube.get("deployment", "web", ns)) == V2


def test_a_high_error_ratio_aborts(analysis):
    kube, exporter, prometheus, _ = analysis
    ns = use_policy(kube, prometheus_policy("NAME", prometheus.address), "prom-bad")
    serve_ratio(exporter, prometheus, ns, 0.05)
    roll(kube, ns)
    status = wait_phase(kube, ns, "web", {"Aborting", "Failed"}, timeout=120)
    failed = [m for m in measurements(status, "error-rate") if m["outcome"] == "Failed"]
    assert failed and failed[-1]["value"] == pytest.approx(0.05, rel=0.05), status.get("measurements")
    reason = aborted_because(status)
    assert reason.startswith("error-rate: 1 failed measurement (0 tolerated); last: 0.0"), reason
    assert reason.endswith("is not at most 0.01"), reason
    deployment_now = kube.get("deployment", "web", ns)
    assert image_of(deployment_now) == V1, "the stable workload keeps the old template"
    assert deployment_now["metadata"]["annotations"]["autocanary.io/failed-revision"] == status["revision"]


def test_a_ratio_on_too_few_requests_is_not_judged_until_traffic_suffices(analysis):
    kube, exporter, prometheus, _ = analysis
    policy = prometheus_policy("NAME", prometheus.address, minimum_sample=200, inconclusive_limit=60)
    ns = use_policy(kube, policy, "prom-samples")
    serve_ratio(exporter, prometheus, ns, 0.002, per_second=10)  # ~50 requests in the query's 5 s
    roll(kube, ns)
    status = wait_status(kube, ns, lambda s: len(measurements(s, "error-rate")) >= 3,
                         "three measurements on too little traffic")
    taken = measurements(status, "error-rate")
    assert {m["outcome"] for m in taken} == {"Inconclusive"}, taken
    assert all("samples, fewer than minimumSample 200 (sampleQuery)" in m["message"] for m in taken), taken
    assert not any("value" in m for m in taken), "a ratio on too few requests is not recorded as a value"
    assert status["phase"] not in ("Succeeded", "Aborting", "Failed"), status["phase"]

    exporter.set_ratio(ns, "web-canary", 0.002, per_second=1000)
    status = wait_phase(kube, ns, "web", "Succeeded", timeout=120)
    passed = [m["value"] for m in measurements(status, "error-rate") if m["outcome"] == "Passed"]
    assert len(passed) == 3 and all(v == pytest.approx(0.002, rel=0.05) for v in passed), status["measurements"]


def test_prometheus_stopped_mid_analysis_fails_after_the_inconclusive_limit_and_says_why(analysis):
    kube, exporter, prometheus, _ = analysis
    ns = use_policy(kube, prometheus_policy("NAME", prometheus.address, count=1000, inconclusive_limit=3), "prom-stop")
    serve_ratio(exporter, prometheus, ns, 0.002)
    roll(kube, ns)
    wait_status(kube, ns, lambda s: run_of(s, "error-rate").get("passed", 0) >= 2, "two passing measurements",
                timeout=120)
    prometheus.stop()
    try:
        status = wait_phase(kube, ns, "web", {"Aborting", "Failed"}, timeout=60)
    finally:
        prometheus.start()
    reason = aborted_because(status)
    assert reason.startswith("error-rate: 4 inconclusive measurements (3 tolerated); last: cannot reach Prometheus: "
                             f"no answer from {prometheus.address}/api/v1/query"), reason
    errors = [m for m in measurements(status, "error-rate") if m.get("error")]
    assert len(errors) == 4 and all(m["outcome"] == "Inconclusive" for m in errors)
    warnings = events(kube, ns, "AnalysisError")
    assert warnings and all(e["type"] == "Warning" and "cannot reach Prometheus" in e["message"] for e in warnings)
    assert image_of(kube.get("deployment", "web", ns)) == V1


def test_prometheus_back_within_the_inconclusive_limit_lets_the_analysis_go_on(analysis):
    kube, exporter, prometheus, _ = analysis
    ns = use_policy(kube, prometheus_policy("NAME", prometheus.address, count=4, inconclusive_limit=100),
                    "prom-back")
    serve_ratio(exporter, prometheus, ns, 0.002)
    roll(kube, ns)
    wait_status(kube, ns, lambda s: run_of(s, "error-rate").get("passed", 0) >= 1, "a passing measurement",
                timeout=120)
    prometheus.stop()
    try:
        waiting = wait_status(kube, ns, lambda s: run_of(s, "error-rate").get("inconclusive", 0) >= 2,
                              "inconclusive measurements")
        assert waiting["phase"] == "Progressing"
        assert "inconclusive; last: cannot reach Prometheus" in waiting["message"], waiting["message"]
    finally:
        prometheus.start()
    status = wait_phase(kube, ns, "web", "Succeeded", timeout=120)
    assert run_of(status, "error-rate") == {}, "the tally ended with its step"
    assert any(m.get("error") for m in measurements(status, "error-rate"))
    assert image_of(kube.get("deployment", "web", ns)) == V2


# ---- pod health ----------------------------------------------------------------


def crash_loop(kube, ns, pod):
    statuses = pod["status"]["containerStatuses"]
    for status in statuses:
        if status["name"] == "app":
            status.update({"ready": False, "restartCount": 4, "started": False,
                           "state": {"waiting": {"reason": "CrashLoopBackOff",
                                                 "message": "back-off 40s restarting failed container"}},
                           "lastState": {"terminated": {"exitCode": 1, "reason": "Error",
                                                        "startedAt": status["state"]["running"]["startedAt"],
                                                        "finishedAt": status["state"]["running"]["startedAt"]}}})
    kube.run("patch", "pod", pod["metadata"]["name"], "-n", ns, "--subresource=status", "--type=merge", "-p",
             json.dumps({"status": {"containerStatuses": statuses}}))


def test_crash_looping_canary_pods_abort_within_one_reconcile(analysis):
    kube, exporter, prometheus, replicas = analysis
    # The metric analysis measures once a minute: an abort must not wait for it.
    policy = prometheus_policy("NAME", prometheus.address,
                               steps="[{setWeight: 50}, {analysis: {names: [pod-health, error-rate]}}, "
                                     "{setWeight: 100}]",
                               count=5, interval="1m")
    ns = use_policy(kube, policy, "crash")
    serve_ratio(exporter, prometheus, ns, 0.002)
    roll(kube, ns)
    wait_status(kube, ns, lambda s: len(measurements(s, "error-rate")) >= 1, "the first error-rate measurement",
                timeout=120)
    pods = kube.get("pods", namespace=ns, selector="autocanary.io/track=canary")["items"]
    assert pods
    started = time.monotonic()
    crash_loop(kube, ns, pods[0])
    def canary_at_zero():  # scaled to 0, or already removed (abortScaleDownDelay 0s)
        found = kube.run("get", "deployment", "web-canary", "-n", ns, "-o", "json", check=False)
        return found.returncode != 0 or json.loads(found.stdout)["spec"]["replicas"] == 0
    wait_for(canary_at_zero, "canary weight 0", timeout=30, interval=0.02)
    elapsed = time.monotonic() - started
    status = wait_phase(kube, ns, "web", {"Aborting", "Failed"}, timeout=10)
    print(f"\ncrash loop patched → canary at weight 0 in {elapsed * 1000:.0f} ms "
          f"(kubectl polled every 20 ms; includes one kubectl call)")
    reason = aborted_because(status)
    assert reason.startswith("pod-health: canary pods are crash-looping: pod " + pods[0]["metadata"]["name"]), reason
    assert reason.endswith("container app: CrashLoopBackOff, 4 restarts"), reason
    # Aborted in the interval after the first measurement, not after interval × count.
    assert len(measurements(status, "error-rate")) == 1, status["measurements"]
    assert image_of(kube.get("deployment", "web", ns)) == V1


def test_a_stalled_prometheus_delays_no_other_rollouts_abort(analysis):
    """Measurements run apart from the reconcile passes: while the queries of
    three rollouts hang on a Prometheus that never answers — more than the two
    reconcile workers — a fourth rollout's crash loop is aborted, and every
    query that hung when the crash was written still hangs when the canary is
    at weight 0 (none had to end to free a worker for the abort)."""
    kube, exporter, prometheus, replicas = analysis
    crash_policy = prometheus_policy("NAME", prometheus.address,
                                     steps="[{setWeight: 50}, {pause: {}}, {analysis: {names: [pod-health]}}, "
                                           "{setWeight: 100}]")
    crashing = use_policy(kube, crash_policy, "stall-abort")
    roll(kube, crashing)
    wait_status(kube, crashing, lambda s: s.get("stepDescription") == "pause until approved",
                "the crashing rollout's pause step", timeout=120)

    stalled = StalledPrometheus()
    stalled_namespaces = []
    try:
        policy = prometheus_policy("NAME", stalled.address, count=1000, inconclusive_limit=1000, timeout="60s")
        for _ in range(3):
            ns = use_policy(kube, policy, "stall-query")
            stalled_namespaces.append(ns)
            roll(kube, ns)
        wait_for(lambda: len(stalled.outstanding()) >= 2, "queries hanging on the stalled Prometheus", timeout=120)
        hanging = stalled.outstanding()

        pods = kube.get("pods", namespace=crashing, selector="autocanary.io/track=canary")["items"]
        assert pods
        crash_loop(kube, crashing, pods[0])

        def canary_at_zero():
            found = kube.run("get", "deployment", "web-canary", "-n", crashing, "-o", "json", check=False)
            return found.returncode != 0 or json.loads(found.stdout)["spec"]["replicas"] == 0
        wait_for(canary_at_zero, "the crashing canary at weight 0", timeout=90, interval=0.05)
        still = stalled.outstanding()
        assert hanging <= still, f"queries {sorted(hanging - still)} ended before the abort: it waited for them"
        status = wait_phase(kube, crashing, "web", {"Aborting", "Failed"}, timeout=10)
        assert aborted_because(status).startswith("pod-health: canary pods are crash-looping"), status
        for ns in stalled_namespaces:
            assert canary_status(kube, ns, "web").get("phase") == "Progressing", ns
    finally:
        stalled.release()
        # Their measurements would go on for the rest of the module: aborted.
        for ns in stalled_namespaces:
            kube.run("patch", "canaries.autocanary.io", "web", "-n", ns, "--type=merge", "-p",
                     json.dumps({"spec": {"abort": "end of the test"}}), check=False)
        for ns in stalled_namespaces:
            wait_phase(kube, ns, "web", {"Aborting", "Failed"}, timeout=60)
        stalled.close()


# ---- test Jobs -----------------------------------------------------------------

# Job pods are bound to a node no kubelet (and no kwok) serves, so they stay
# Pending until the test writes their outcome through the status subresource.
TEST_NODE = "autocanary-test-runner"

JOB_POLICY = f"""apiVersion: autocanary.io/v1alpha1
kind: ClusterCanaryPolicy
metadata: {{name: NAME}}
spec:
  steps: [{{setWeight: 50}}, {{test: {{name: smoke}}}}, {{setWeight: 100}}]
  trafficBackend: podRatio
  abortScaleDownDelay: 0s
  tests:
    - name: smoke
      timeout: 2m
      jobTemplate:
        metadata: {{labels: {{suite: smoke}}}}
        spec:
          backoffLimit: 0
          template:
            spec:
              restartPolicy: Never
              nodeName: {TEST_NODE}
              containers: [{{name: smoke, image: registry.example.com/shop/smoke:1.0.0}}]
"""


@pytest.fixture(scope="module")
def test_node(analysis):
    kube = analysis[0]
    kube.apply(f"apiVersion: v1\nkind: Node\nmetadata:\n  name: {TEST_NODE}\n  labels: {{type: manual}}\n")
    yield
    kube.run("delete", "node", TEST_NODE, "--ignore-not-found")


def finish_job_pod(kube, ns, phase, exit_code):
    def job_pod():
        items = kube.get("pods", namespace=ns, selector="batch.kubernetes.io/job-name")["items"]
        return items[0] if items else None
    pod = wait_for(job_pod, "the test Job's pod", timeout=60)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    kube.run("patch", "pod", pod["metadata"]["name"], "-n", ns, "--subresource=status", "--type=merge", "-p",
             json.dumps({"status": {"phase": phase, "containerStatuses": [{
                 "name": "smoke", "image": "registry.example.com/shop/smoke:1.0.0", "imageID": "", "ready": False,
                 "restartCount": 0, "state": {"terminated": {"exitCode": exit_code, "startedAt": now,
                                                             "finishedAt": now,
                                                             "reason": "Completed" if exit_code == 0 else "Error"}}}]}}))
    return pod


def test_a_failing_test_job_aborts(analysis, test_node):
    kube = analysis[0]
    ns = use_policy(kube, JOB_POLICY, "job-fail")
    roll(kube, ns)
    wait_status(kube, ns, lambda s: s.get("stepDescription") == "test smoke", "the test step")
    pod = finish_job_pod(kube, ns, "Failed", 1)
    status = wait_phase(kube, ns, "web", {"Aborting", "Failed"}, timeout=90)
    job = pod["metadata"]["labels"]["batch.kubernetes.io/job-name"]
    reason = aborted_because(status)
    assert reason.startswith(f"smoke: 1 failed measurement (0 tolerated); last: Job {job} failed"), reason
    assert reason.endswith(f"logs: kubectl logs -n {ns} job/{job}"), reason
    assert measurements(status, "smoke")[-1]["resource"] == job
    labels = kube.get("job", job, ns)["metadata"]["labels"]
    assert labels["autocanary.io/canary-of"] == "web" and labels["suite"] == "smoke"
    assert image_of(kube.get("deployment", "web", ns)) == V1


def test_a_succeeding_test_job_lets_the_rollout_continue(analysis, test_node):
    kube = analysis[0]
    ns = use_policy(kube, JOB_POLICY, "job-ok")
    roll(kube, ns)
    running = wait_status(kube, ns, lambda s: run_of(s, "smoke").get("resource"), "the test Job")
    assert running["phase"] == "Progressing" and "is running" in running["message"], running["message"]
    pod = finish_job_pod(kube, ns, "Succeeded", 0)
    status = wait_phase(kube, ns, "web", "Succeeded", timeout=90)
    job = pod["metadata"]["labels"]["batch.kubernetes.io/job-name"]
    assert measurements(status, "smoke")[-1]["outcome"] == "Passed"
    assert measurements(status, "smoke")[-1]["resource"] == job
    env = {e["name"]: e["value"] for e in kube.get("job", job, ns)["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["AUTOCANARY_NAMESPACE"] == ns and env["AUTOCANARY_CANARY"] == "web-canary"
    assert image_of(kube.get("deployment", "web", ns)) == V2


def with_service_account(policy, account):
    return policy.replace("              restartPolicy: Never\n",
                          f"              restartPolicy: Never\n              serviceAccountName: {account}\n", 1)


def test_a_test_job_under_a_service_account_the_namespace_does_not_allow_never_runs(analysis, test_node):
    kube = analysis[0]
    ns = use_policy(kube, with_service_account(JOB_POLICY, "deployer"), "job-sa-refused")
    kube.run("create", "serviceaccount", "deployer", "-n", ns)  # it exists; the namespace does not lend it to tests
    roll(kube, ns)
    status = wait_phase(kube, ns, "web", {"Aborting", "Failed"}, timeout=90)
    why = ('the test\'s Job would run as service account "deployer", which namespace "' + ns +
           '" does not allow for tests (autocanary.io/test-service-accounts: default)')
    assert aborted_because(status).startswith(f"smoke: 1 failed measurement (0 tolerated); last: {why}"), status
    assert any(why in e["message"] for e in events(kube, ns, "CanaryAborted"))
    assert kube.get("jobs", namespace=ns)["items"] == [], "the Job was never created"
    assert image_of(kube.get("deployment", "web", ns)) == V1


def test_a_service_account_the_namespace_allows_runs_the_test(analysis, test_node):
    kube = analysis[0]
    ns = use_policy(kube, with_service_account(JOB_POLICY, "smoke-runner"), "job-sa-allowed")
    kube.run("create", "serviceaccount", "smoke-runner", "-n", ns)
    kube.run("annotate", "namespace", ns, "autocanary.io/test-service-accounts=smoke-runner, load-runner")
    roll(kube, ns)
    pod = finish_job_pod(kube, ns, "Succeeded", 0)
    assert pod["spec"]["serviceAccountName"] == "smoke-runner"
    wait_phase(kube, ns, "web", "Succeeded", timeout=90)


# ---- HTTP gates ----------------------------------------------------------------


def gate_policy(url, failure_limit):
    return f"""apiVersion: autocanary.io/v1alpha1
kind: ClusterCanaryPolicy
metadata: {{name: NAME}}
spec:
  steps: [{{setWeight: 50}}, {{analysis: {{names: [approval]}}}}, {{setWeight: 100}}]
  trafficBackend: podRatio
  abortScaleDownDelay: 0s
  analyses:
    - name: approval
      provider: http
      http: {{url: "{url}", timeout: 2s, retries: 1}}
      interval: 1s
      count: 1
      failureLimit: {failure_limit}
"""


def test_a_gate_answering_500_blocks_promotion_until_it_answers_200(analysis):
    kube = analysis[0]
    gate = Gate()
    try:
        gate.status = 500
        ns = use_policy(kube, gate_policy(gate.url, failure_limit=1000), "gate")
        roll(kube, ns)
        blocked = wait_status(kube, ns, lambda s: run_of(s, "approval").get("failed", 0) >= 3, "three refusals")
        assert blocked["phase"] == "Progressing" and blocked["stepDescription"] == "analysis approval"
        assert "the gate answered HTTP 500" in blocked["message"], blocked["message"]
        assert image_of(kube.get("deployment", "web", ns)) == V1, "not promoted"

        gate.status = 200
        status = wait_phase(kube, ns, "web", "Succeeded", timeout=90)
        assert measurements(status, "approval")[-1]["outcome"] == "Passed"
        assert image_of(kube.get("deployment", "web", ns)) == V2
        sent = gate.received[-1]
        assert (sent["namespace"], sent["deployment"], sent["canary"], sent["analysis"]) == \
            (ns, "web", "web-canary", "approval")
        assert sent["revision"] == status["revision"]
    finally:
        gate.close()


def test_a_gate_refusing_beyond_its_failure_limit_aborts(analysis):
    kube = analysis[0]
    gate = Gate()
    try:
        gate.status = 500
        ns = use_policy(kube, gate_policy(gate.url, failure_limit=0), "gate-no")
        roll(kube, ns)
        status = wait_phase(kube, ns, "web", {"Aborting", "Failed"}, timeout=90)
        reason = aborted_because(status)
        assert reason.startswith("approval: 1 failed measurement (0 tolerated); last: the gate answered HTTP 500"), \
            reason
        assert image_of(kube.get("deployment", "web", ns)) == V1
    finally:
        gate.close()

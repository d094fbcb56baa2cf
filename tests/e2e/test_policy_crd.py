"""The ClusterCanaryPolicy CRD through a real apiserver: its schema and CEL
rules make `kubectl apply` reject a bad policy with a message that says what to
change, a full policy reads back unchanged, and `kubectl explain` documents
every field. Needs only the apiserver (no webhook, no coordinator)."""

import copy
import json

import pytest

from kube import ROOT, sanitize, unique, wait_established, wait_for

CRD = ROOT / "charts/autocanary/crds/clustercanarypolicies.autocanary.io.yaml"
CRD_NAME = "clustercanarypolicies.autocanary.io"
EXAMPLES = ROOT / "charts/autocanary/examples"

# Every field of the spec, each set to something other than its default.
FULL_SPEC = {
    "steps": [
        {"setWeight": 25},
        {"pause": {"duration": "30s"}},
        {"analysis": {"names": ["pod-health", "error-rate", "gate"]}},
        {"test": {"name": "smoke"}},
        {"setWeight": 50},
        {"pause": {}},
        {"setWeight": 100},
    ],
    "analyses": [
        {
            "name": "error-rate",
            "provider": "prometheus",
            "prometheus": {
                "address": "http://prometheus.monitoring:9090",
                "query": 'sum(rate(http_requests_total{namespace="{{namespace}}",status=~"5.."}[1m]))'
                         ' / sum(rate(http_requests_total{namespace="{{namespace}}"}[1m]))',
                "sampleQuery": 'sum(increase(http_requests_total{namespace="{{namespace}}"}[1m]))',
            },
            "successCondition": {"max": 0.01, "min": 0.0001},
            "interval": "1m30s",
            "count": 5,
            "failureLimit": 1,
            "minimumSample": 100,
            "noData": "fail",
            "inconclusiveLimit": 2,
        },
        {
            "name": "gate",
            "provider": "http",
            "http": {"url": "https://gate.example.com/check", "timeout": "2.5s"},
            "successCondition": {"min": 1},
            "interval": "10s",
            "count": 3,
            "failureLimit": 0,
            "minimumSample": 0,
            "noData": "fail",
            "inconclusiveLimit": 0,
        },
    ],
    "tests": [
        {
            "name": "smoke",
            "jobTemplate": {
                "metadata": {"labels": {"app": "smoke"}},
                "spec": {
                    "backoffLimit": 0,
                    "template": {"spec": {
                        "restartPolicy": "Never",
                        "containers": [{"name": "smoke", "image": "curlimages/curl:8.10.1",
                                        "args": ["--fail", "http://web/healthz"]}],
                    }},
                },
            },
            "timeout": "10m",
        },
    ],
    "trafficBackend": "gatewayAPI",
    "canaryReplicas": {"mode": "matchStable"},
    "abortScaleDownDelay": "0s",
    "rolloutRestart": "rollout",
    "recreateDeployments": "canary",
    "shimInjection": "always",
}


def manifest(name, spec):
    return json.dumps({"apiVersion": "autocanary.io/v1alpha1", "kind": "ClusterCanaryPolicy",
                       "metadata": {"name": name}, "spec": spec})


@pytest.fixture(scope="module")
def policies(kube):
    """Installs the CRD; yields a function that applies a policy under a unique
    name and returns kubectl's result. Every policy created is deleted after."""
    kube.run("apply", "--server-side", "-f", str(CRD))
    wait_established(kube, CRD_NAME)
    names = []

    def apply(spec, prefix="policy", check=False):
        name = unique(prefix)
        names.append(name)
        result = kube.apply(manifest(name, spec), check=check)
        result.name = name
        return result

    yield apply
    if names:
        kube.run("delete", "clustercanarypolicies.autocanary.io", "--ignore-not-found", *names)


def spec_with(change):
    spec = copy.deepcopy(FULL_SPEC)
    change(spec)
    return spec


def assert_rejected(kube, result, *messages):
    """kubectl failed, said why, and nothing was stored."""
    stderr = sanitize(result.stderr)
    assert result.returncode != 0, f"accepted:\n{result.stdout}"
    for message in messages:
        assert message in stderr, f"{message!r} not in:\n{result.stderr}"
    stored = kube.run("get", "clustercanarypolicies.autocanary.io", result.name, check=False)
    assert stored.returncode != 0 and "NotFound" in stored.stderr, stored.stdout


# --- what a bad policy gets -----------------------------------------------------


def test_weight_above_100_is_rejected(kube, policies):
    result = policies(spec_with(lambda s: s["steps"].__setitem__(0, {"setWeight": 150})))
    assert_rejected(kube, result, "spec.steps[0].setWeight: Invalid value: 150",
                    "should be less than or equal to 100")


def test_negative_weight_is_rejected(kube, policies):
    result = policies(spec_with(lambda s: s["steps"].__setitem__(0, {"setWeight": -5})))
    assert_rejected(kube, result, "spec.steps[0].setWeight: Invalid value: -5",
                    "should be greater than or equal to 0")


@pytest.mark.parametrize("steps", [
    [{"setWeight": 25}, {"pause": {}}, {"setWeight": 50}],
    [{"setWeight": 100}, {"pause": {"duration": "1m"}}, {"setWeight": 0}],
    [{"pause": {}}, {"analysis": {"names": ["pod-health"]}}],
], ids=["ends-at-50", "back-to-0-after-100", "no-setWeight"])
def test_steps_not_ending_at_100_are_rejected(kube, policies, steps):
    result = policies({"steps": steps})
    assert_rejected(kube, result, "spec.steps: Invalid value: "
                    "the last setWeight step must be 100 so the canary can be promoted")


@pytest.mark.parametrize("field, change", [
    ("spec.steps[1].pause.duration", lambda s: s["steps"].__setitem__(1, {"pause": {"duration": "-30s"}})),
    ("spec.abortScaleDownDelay", lambda s: s.__setitem__("abortScaleDownDelay", "-1m")),
], ids=["pause", "abortScaleDownDelay"])
def test_negative_duration_is_rejected(kube, policies, field, change):
    result = policies(spec_with(change))
    assert_rejected(kube, result, f'{field}: Invalid value: "-', "must be a non-negative duration such as")


def test_two_kinds_in_one_step_are_rejected(kube, policies):
    result = policies(spec_with(lambda s: s["steps"].__setitem__(1, {"setWeight": 50, "pause": {}})))
    assert_rejected(kube, result, "spec.steps[1]: Invalid value: "
                    "each step must have exactly one of setWeight, pause, analysis or test")


def test_unknown_provider_is_rejected(kube, policies):
    result = policies(spec_with(lambda s: s["analyses"][0].__setitem__("provider", "datadog")))
    assert_rejected(kube, result, 'spec.analyses[0].provider: Unsupported value: "datadog"',
                    'supported values: "prometheus", "http"')


def test_prometheus_analysis_without_query_is_rejected(kube, policies):
    result = policies(spec_with(lambda s: s["analyses"][0]["prometheus"].pop("query")))
    assert_rejected(kube, result, "spec.analyses[0].prometheus.query: Required value")


def test_step_naming_an_undefined_analysis_is_rejected(kube, policies):
    steps = [{"setWeight": 20}, {"analysis": {"names": ["pod-health", "latency"]}}, {"setWeight": 100}]
    result = policies(spec_with(lambda s: s.__setitem__("steps", steps)))
    assert_rejected(kube, result, 'spec.steps: Invalid value: an analysis step names "latency", '
                    "which is neither the built-in pod-health nor the name of an entry of spec.analyses")


@pytest.mark.parametrize("change, messages", [
    (lambda s: s.__setitem__("steps", [{"test": {"name": "load"}}, {"setWeight": 100}]),
     ['spec.steps: Invalid value: a test step names "load", which is not the name of an entry of spec.tests']),
    (lambda s: s["steps"].__setitem__(1, {}),
     ["spec.steps[1]: Invalid value: each step must have exactly one of setWeight, pause, analysis or test"]),
    (lambda s: s["steps"].__setitem__(1, {"pause": {"duration": "30"}}),
     ['spec.steps[1].pause.duration: Invalid value: "30": must be a non-negative duration']),
    (lambda s: s["analyses"][0].__setitem__("interval", "0s"),
     ['spec.analyses[0].interval: Invalid value: "0s": must be a positive duration']),
    (lambda s: s["analyses"][0]["prometheus"].__setitem__("query", ""),
     ["spec.analyses[0].prometheus.query", "should be at least 1 chars long"]),
    (lambda s: s["analyses"][0].pop("prometheus"),
     ["spec.analyses[0]: Required value: provider prometheus needs a prometheus section with its query"]),
    (lambda s: s["analyses"][1].pop("http"),
     ["spec.analyses[1]: Required value: provider http needs an http section with its url"]),
    (lambda s: s["analyses"][1].__setitem__("prometheus", {"query": "up"}),
     ["spec.analyses[1]: Invalid value: a prometheus section is only allowed with provider prometheus"]),
    (lambda s: s["analyses"][0].pop("successCondition"),
     ["spec.analyses[0]: Required value: provider prometheus needs a successCondition with max, min or both"]),
    (lambda s: s["analyses"][0].__setitem__("successCondition", {}),
     ["spec.analyses[0].successCondition: Invalid value: successCondition needs max, min or both"]),
    (lambda s: s["analyses"][0].__setitem__("successCondition", {"min": 0.5, "max": 0.1}),
     ["spec.analyses[0].successCondition: Invalid value: successCondition.min must not be greater than max"]),
    (lambda s: s["analyses"].append({**s["analyses"][1], "name": "pod-health"}),
     ['spec.analyses[2].name: Invalid value: "pod-health": pod-health is built in and cannot be redefined']),
    (lambda s: s["analyses"].append({**s["analyses"][1], "name": "Gate_2"}),
     ['spec.analyses[2].name: Invalid value: "Gate_2": must be a DNS-1123 label']),
    (lambda s: s["analyses"].append(copy.deepcopy(s["analyses"][1])),
     ['spec.analyses[2]: Duplicate value: {"name":"gate"}']),
    (lambda s: s["analyses"][1]["http"].__setitem__("url", "gate.example.com/check"),
     ['spec.analyses[1].http.url: Invalid value: "gate.example.com/check": must be an http:// or https:// URL']),
    (lambda s: s["tests"][0].pop("jobTemplate"),
     ["spec.tests[0].jobTemplate: Required value"]),
    (lambda s: s.__setitem__("trafficBackend", "linkerd"),
     ['spec.trafficBackend: Unsupported value: "linkerd"']),
    (lambda s: s.__setitem__("steps", []),
     ["spec.steps", "should have at least 1 items"]),
    (lambda s: s["analyses"][0]["prometheus"].pop("sampleQuery"),
     ["spec.analyses[0]: Required value: minimumSample needs prometheus.sampleQuery, the query counting the samples"]),
    (lambda s: s["analyses"][0].__setitem__("minimumSample", 0),
     ["spec.analyses[0]: Invalid value: prometheus.sampleQuery is used only with a minimumSample above 0"]),
    (lambda s: s["analyses"][1].__setitem__("minimumSample", 5),
     ["spec.analyses[1]: Required value: minimumSample needs prometheus.sampleQuery"]),
], ids=["undefined-test", "empty-step", "duration-without-unit", "zero-interval", "empty-query",
        "prometheus-without-section", "http-without-section", "section-of-another-provider",
        "prometheus-without-successCondition", "successCondition-without-bounds", "min-above-max",
        "redefined-pod-health", "name-not-a-label", "duplicate-analysis", "url-without-scheme",
        "test-without-jobTemplate", "unknown-traffic-backend", "no-steps", "minimumSample-without-sampleQuery",
        "sampleQuery-without-minimumSample", "minimumSample-of-an-http-gate"])
def test_other_bad_policies_are_rejected(kube, policies, change, messages):
    assert_rejected(kube, policies(spec_with(change)), *messages)


# --- what a good policy gets ----------------------------------------------------


def test_full_policy_is_accepted_and_reads_back_unchanged(kube, policies):
    created = policies(FULL_SPEC, check=True)
    stored = kube.get("clustercanarypolicies.autocanary.io", created.name)
    assert stored["spec"] == FULL_SPEC
    assert "namespace" not in stored["metadata"], "the policy is cluster-scoped"

    # The short name and the printer column.
    listed = kube.run("get", "ccp", created.name).stdout.split()
    assert listed[:3] == ["NAME", "BACKEND", "AGE"] and listed[3:5] == [created.name, "gatewayAPI"], listed

    # A bad edit of a stored policy is rejected as well, and changes nothing.
    bad = copy.deepcopy(FULL_SPEC)
    bad["steps"][-1] = {"setWeight": 90}
    edit = kube.apply(manifest(created.name, bad), check=False)
    assert edit.returncode != 0 and "the last setWeight step must be 100" in edit.stderr, edit.stderr
    assert kube.get("clustercanarypolicies.autocanary.io", created.name)["spec"] == FULL_SPEC


def test_left_out_choices_read_back_with_their_defaults(kube, policies):
    spec = {"steps": [{"setWeight": 50}, {"analysis": {"names": ["gate"]}}, {"setWeight": 100}],
            "analyses": [{"name": "gate", "http": {"url": "http://gate.example.com"}, "provider": "http"}],
            "canaryReplicas": {}}
    created = policies(spec, check=True)
    stored = kube.get("clustercanarypolicies.autocanary.io", created.name)["spec"]
    assert stored["trafficBackend"] == "auto"
    assert stored["rolloutRestart"] == "canary"
    assert stored["recreateDeployments"] == "rollout"
    assert stored["shimInjection"] == "whenNoProbe"
    assert stored["canaryReplicas"] == {"mode": "weight"}
    assert stored["analyses"][0]["noData"] == "inconclusive"
    assert stored["steps"] == spec["steps"]
    # The provider defaults to prometheus, which then needs its section.
    no_provider = policies({"steps": [{"setWeight": 100}], "analyses": [{"name": "gate"}]})
    assert_rejected(kube, no_provider, "provider prometheus needs a prometheus section with its query")


def test_example_policies_are_valid(kube, policies):
    examples = sorted(EXAMPLES.glob("clustercanarypolicy*.yaml"))
    assert examples, f"no ClusterCanaryPolicy examples in {EXAMPLES}"
    for example in examples:
        kube.run("apply", "--dry-run=server", "-f", str(example))


# --- what kubectl explain prints -------------------------------------------------


def explain(kube, field):
    # The CRD's OpenAPI is published a moment after it is Established.
    return wait_for(lambda: (r := kube.run("explain", field, check=False)).returncode == 0 and sanitize(r.stdout),
                    f"kubectl explain {field}", timeout=30, interval=0.5)


def test_explain_documents_pause_duration_and_prometheus_query(kube, policies):
    duration = explain(kube, "clustercanarypolicy.spec.steps.pause.duration")
    assert "FIELD: duration <string>" in duration
    assert "How long to wait, as a Go duration such as 30s, 5m or 1h30m; not negative." in duration
    assert "Left out, the step waits until approved." in duration

    query = explain(kube, "clustercanarypolicy.spec.analyses.prometheus.query")
    assert "FIELD: query <string>" in query
    assert "PromQL instant query whose single value is one measurement" in query
    assert "{{namespace}}" in query


def test_every_field_has_a_description(kube, policies):
    crd = kube.get("crd", CRD_NAME)
    schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    missing = []

    def walk(node, path):
        if not node.get("description", "").strip():
            missing.append(path or "(root)")
        for name, child in node.get("properties", {}).items():
            # The apiserver documents metadata itself and allows only its type here.
            if not (path == "" and name == "metadata"):
                walk(child, f"{path}.{name}")
        if "items" in node:
            walk(node["items"], f"{path}[]")

    walk(schema, "")
    assert not missing, f"fields without a description: {missing}"

    # kubectl explain shows them, down to the leaves.
    explained = explain(kube, "clustercanarypolicy.spec.analyses.successCondition.max")
    assert "The highest value that passes" in explained

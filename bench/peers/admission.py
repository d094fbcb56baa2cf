"""Admission side by side: the same Deployment updates through autocanary's
webhook and through Kruise Rollout's Deployment webhook (mdeployment.kb.io),
on one control plane in one run. Driven by bench/peers/run.sh admission.

Three namespaces hold the same two Deployments (replicas 0): the small one of
tests/testdata/admission/update-web-image.json and the 64 KiB one of
update-catalog-large.json. `ours` is opted in to autocanary; in `kruise` each
Deployment has a Kruise Rollout (which labels it, so its webhook sees its
updates); `none` is seen by no webhook (the control). UPDATES rounds, each an
image change of every Deployment (strategic merge patch, a new tag each time,
so every update is a new revision for both webhooks), interleaved namespace by
namespace over one kept-alive HTTPS connection.

Figures: from the apiserver's own histogram
apiserver_admission_webhook_admission_duration_seconds (name, operation
UPDATE), the difference before and after each size's rounds: mean (sum/count),
and the bucket counts (its buckets are 5 ms, 25 ms, 100 ms, ...: a median
read from it is an interpolation, not a measurement); and at the client, each
PATCH's round trip, the median minus the control's median being what a webhook
adds to a write.
"""

import copy
import json
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import ROOT, KruiseRollout, arguments, kruise_rollout  # noqa: E402
from kubeapi import Api, ApiError, percentile, wait_for  # noqa: E402

OURS = "deployments.autocanary.io"
KRUISE = "mdeployment.kb.io"
FIXTURES = {"small": "update-web-image.json", "64KiB": "update-catalog-large.json"}
METRIC = "apiserver_admission_webhook_admission_duration_seconds"


def fixture_deployment(name, namespace):
    """The fixture's Deployment as a user would apply it: no server fields, replicas 0."""
    obj = json.loads((ROOT / "tests/testdata/admission" / FIXTURES[name]).read_text())["request"]["object"]
    obj = copy.deepcopy(obj)
    meta = obj["metadata"]
    for key in ("creationTimestamp", "generation", "managedFields", "resourceVersion", "uid", "annotations"):
        meta.pop(key, None)
    meta["namespace"] = namespace
    obj["spec"]["replicas"] = 0
    obj.pop("status", None)
    return obj


def webhook_histogram(api):
    """{webhook name: (sum, count, {le: cumulative})} for UPDATE admissions."""
    text = api.raw_get("/metrics").decode()
    found = {}
    pattern = re.compile(METRIC + r'_(bucket|sum|count)\{([^}]*)\} (\S+)')
    for line in text.splitlines():
        m = pattern.match(line)
        if not m:
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2)))
        if labels.get("operation") != "UPDATE" or labels.get("type") != "admit":
            continue
        entry = found.setdefault(labels["name"], [0.0, 0.0, {}])
        value = float(m.group(3))
        if m.group(1) == "sum":
            entry[0] += value
        elif m.group(1) == "count":
            entry[1] += value
        else:
            entry[2][labels["le"]] = entry[2].get(labels["le"], 0.0) + value
    return found


def difference(after, before, name):
    a = after.get(name, [0.0, 0.0, {}])
    b = before.get(name, [0.0, 0.0, {}])
    buckets = {le: a[2].get(le, 0.0) - b[2].get(le, 0.0) for le in a[2]}
    return a[0] - b[0], a[1] - b[1], buckets


def estimate_quantile(buckets, count, q):
    """histogram_quantile's linear interpolation inside the bucket."""
    bounds = sorted(((float("inf") if le == "+Inf" else float(le)), n) for le, n in buckets.items())
    target, previous_bound, previous_count = q * count, 0.0, 0.0
    for bound, cumulative in bounds:
        if cumulative >= target:
            if bound == float("inf"):
                return previous_bound
            width = cumulative - previous_count
            return previous_bound + (bound - previous_bound) * ((target - previous_count) / width if width else 0)
        previous_bound, previous_count = bound, cumulative
    return float("nan")


def main():
    parser = arguments(__doc__, 120)
    parser.add_argument("--updates", type=int, default=200, help="counted updates per webhook and size")
    args = parser.parse_args()

    kubeconfig = str(Path(args.run_dir) / "kubeconfig")
    api = Api(kubeconfig)
    kruise = KruiseRollout(args.run_dir, kubeconfig)
    KruiseRollout.install(kubeconfig, args.work)
    try:
        kruise.start()
        wait_for(kruise.ready, "Kruise Rollout's webhook listening", timeout=args.timeout, interval=0.5)
        wait_for(lambda: kruise.webhook_registered(kubeconfig), "Kruise Rollout's webhook registration updated",
                 timeout=args.timeout, interval=0.5)
        run(api, kubeconfig, kruise, args)
    finally:
        kruise.stop()


def run(api, kubeconfig, kruise, args):
    spaces = {"ours": {"autocanary.io/enabled": "true"}, "kruise": {}, "none": {}}
    prefix = "peers-adm-"
    for space, labels in spaces.items():
        api.create("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                          "metadata": {"name": prefix + space, "labels": labels}})
    names = {}
    for size in FIXTURES:
        for space in spaces:
            obj = fixture_deployment(size, prefix + space)
            names[size] = obj["metadata"]["name"] = "app-" + size.lower()
            # Each Deployment its own selector (the fixtures share app: web).
            for labels in (obj["metadata"].setdefault("labels", {}), obj["spec"]["selector"]["matchLabels"],
                           obj["spec"]["template"]["metadata"].setdefault("labels", {})):
                labels["app"] = names[size]
            api.create(f"/apis/apps/v1/namespaces/{prefix + space}/deployments", obj)
        api.create(f"/apis/rollouts.kruise.io/v1beta1/namespaces/{prefix}kruise/rollouts",
                   kruise_rollout(prefix + "kruise", names[size]))

    # Kruise's controller labels each workload its Rollout names; only then
    # does its webhook's objectSelector take the Deployment's updates.
    def kruise_labelled():
        kruise.check_alive()
        items = api.get(f"/apis/apps/v1/namespaces/{prefix}kruise/deployments")["items"]
        return all("rollouts.kruise.io/workload-type" in d["metadata"].get("labels", {}) for d in items)
    wait_for(kruise_labelled, "Kruise Rollout to label its workloads", timeout=args.timeout, interval=0.5)
    wait_for(lambda: all(r.get("status", {}).get("phase") == "Healthy" for r in
                         api.get(f"/apis/rollouts.kruise.io/v1beta1/namespaces/{prefix}kruise/rollouts")["items"]),
             "the Rollouts Healthy", timeout=args.timeout, interval=0.5)

    results = {}
    failed_calls = []
    tag = 0
    for size in FIXTURES:
        name = names[size]
        container = fixture_deployment(size, "x")["spec"]["template"]["spec"]["containers"][0]["name"]
        # Two warm-up rounds (connections, caches) not counted.
        for counted in (False, True):
            before = webhook_histogram(api)
            client = {space: [] for space in spaces}
            for _ in range(args.updates if counted else 2):
                tag += 1
                patch = {"spec": {"template": {"spec": {"containers": [
                    {"name": container, "image": f"registry.example.com/shop/app:1.{tag}.0"}]}}}}
                for space in spaces:
                    path = f"/apis/apps/v1/namespaces/{prefix + space}/deployments/{name}"
                    started = time.perf_counter_ns()
                    try:
                        api.patch(path, patch, kind="strategic")
                    except ApiError as error:
                        # The apiserver could not call a webhook (failurePolicy Fail): counted,
                        # sent once more untimed, and reported; anything else is a failure.
                        if error.status != 500 or "failed calling webhook" not in error.body:
                            raise
                        failed_calls.append((size, space, error.body[:300]))
                        api.patch(path, patch, kind="strategic")
                        continue
                    client[space].append((time.perf_counter_ns() - started) / 1e6)
            after = webhook_histogram(api)
        results[size] = {"client": client, OURS: difference(after, before, OURS),
                         KRUISE: difference(after, before, KRUISE)}
        kruise.check_alive()

    # The webhooks did see them: each histogram counted every counted update.
    for size, result in results.items():
        for hook in (OURS, KRUISE):
            count = result[hook][1]
            if count < args.updates:
                raise SystemExit(f"{hook} saw {count:.0f} of {args.updates} {size} updates: not measured")

    body_sizes = {size: len(json.dumps(fixture_deployment(size, "x"), separators=(",", ":"))) for size in FIXTURES}
    print()
    print(f"admission of the same Deployment UPDATEs, {args.updates} per webhook and size, one run; ms")
    print("apiserver_admission_webhook_admission_duration_seconds (UPDATE, admit):")
    print(f"{'size':7s} {'webhook':28s} {'count':>6s} {'mean':>7s} {'est p50':>8s} {'est p90':>8s} "
          f"{'<=5ms':>6s} {'<=25ms':>7s} {'>25ms':>6s}")
    ratios = []
    for size, result in results.items():
        means = {}
        for hook in (OURS, KRUISE):
            total, count, buckets = result[hook]
            means[hook] = 1000 * total / count
            print(f"{size:7s} {hook:28s} {count:6.0f} {means[hook]:7.2f} "
                  f"{1000 * estimate_quantile(buckets, count, 0.5):8.2f} "
                  f"{1000 * estimate_quantile(buckets, count, 0.9):8.2f} {buckets.get('0.005', 0):6.0f} "
                  f"{buckets.get('0.025', 0) - buckets.get('0.005', 0):7.0f} {count - buckets.get('0.025', 0):6.0f}")
        ratios.append((size, means[OURS] / means[KRUISE]))
    print()
    print("at the client (PATCH round trip on one kept-alive connection), interleaved:")
    print(f"{'size':7s} {'object':>7s} {'ours p50':>9s} {'kruise p50':>11s} {'none p50':>9s} "
          f"{'ours p90':>9s} {'kruise p90':>11s} {'none p90':>9s} {'ours adds':>10s} {'kruise adds':>12s}")
    for size, result in results.items():
        c = {space: sorted(values) for space, values in result["client"].items()}
        med = {space: statistics.median(values) for space, values in c.items()}
        print(f"{size:7s} {body_sizes[size]:7d} {med['ours']:9.2f} {med['kruise']:11.2f} {med['none']:9.2f} "
              f"{percentile(c['ours'], .9):9.2f} {percentile(c['kruise'], .9):11.2f} "
              f"{percentile(c['none'], .9):9.2f} {med['ours'] - med['none']:10.2f} "
              f"{med['kruise'] - med['none']:12.2f}")
    print()
    print(f"updates the apiserver failed because it could not call a webhook: {len(failed_calls)}")
    for size, space, body in failed_calls:
        print(f"  {size} {space}: {body}")
    for size, ratio in ratios:
        print(f"ratio {size}: autocanary / Kruise Rollout, apiserver mean = {ratio:.2f}")


if __name__ == "__main__":
    main()

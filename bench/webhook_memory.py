"""Driver of bench/webhook_memory.sh: CLIENTS concurrent maximal AdmissionReviews
against a fresh autocanary-webhook per run; prints its peak RSS (VmHWM)."""
import argparse
import copy
import http.client
import json
import re
import socket
import ssl
import statistics
import subprocess
import tempfile
import threading
import time

MAX_BODY = 4 * 1024 * 1024
MAX_ELEMENTS = 100_000  # webhook/review/admission_review.h kMaxReviewElements


def compact(document):
    return json.dumps(document, separators=(",", ":"))


def elements(text):
    # As common::json_shape counts them: 1 + objects and arrays + commas, outside strings.
    bare = re.sub(r'"(\\.|[^"\\])*"', '""', text)
    return 1 + bare.count("{") + bare.count("[") + bare.count(",")


def pad_to_max(review, note):
    """Fills the new template's annotation `note` so the body is just under 4 MiB."""
    annotations = review["request"]["object"]["spec"]["template"]["metadata"].setdefault("annotations", {})
    annotations[note] = ""
    annotations[note] = "x" * (MAX_BODY - 64 - len(compact(review)))
    return compact(review)


def bodies(fixture):
    base = json.load(open(fixture))
    strings = pad_to_max(copy.deepcopy(base), "bench/padding")
    dense = copy.deepcopy(base)
    container = dense["request"]["object"]["spec"]["template"]["spec"]["containers"][0]
    env = container.setdefault("env", [])
    # Each entry is three elements; stop a little under the limit.
    budget = MAX_ELEMENTS - elements(compact(dense)) - 64
    env.extend({"name": f"E{i}", "value": ""} for i in range(budget // 3))
    dense_text = pad_to_max(dense, "bench/padding")
    for name, text in (("strings", strings), ("dense", dense_text)):
        assert len(text) <= MAX_BODY and elements(text) <= MAX_ELEMENTS, (name, len(text), elements(text))
    return {"4MiB-strings": strings.encode(), "4MiB-dense-tree": dense_text.encode()}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post_until_answered(port, context, body, outcome, start):
    start.wait()
    refusals = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=30)
        connection.request("POST", "/mutate?timeout=10s", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        connection.close()
        if response.status == 429:
            refusals += 1
            time.sleep(int(response.getheader("Retry-After", "1")))
            continue
        outcome.append((response.status, refusals))
        return
    outcome.append((None, refusals))


def run_once(args, certs_dir, body):
    port = free_port()
    command = [args.webhook, "--tls-cert-file", f"{certs_dir}/tls.crt", "--tls-key-file", f"{certs_dir}/tls.key",
               "--bind-address", "127.0.0.1", "--port", str(port), "--log-level", "error", "--drain-delay", "0s"]
    if args.budget:
        command += ["--review-memory-budget", str(args.budget)]
    webhook = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    try:
        context = ssl.create_default_context(cafile=f"{certs_dir}/ca.crt")
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        outcome, start = [], threading.Event()
        clients = [threading.Thread(target=post_until_answered, args=(port, context, body, outcome, start))
                   for _ in range(args.clients)]
        for client in clients:
            client.start()
        began = time.monotonic()
        start.set()
        for client in clients:
            client.join()
        seconds = time.monotonic() - began
        status = open(f"/proc/{webhook.pid}/status").read()
        peak_kib = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))
        return peak_kib / 1024, outcome, seconds
    finally:
        webhook.terminate()
        webhook.wait(timeout=10)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--webhook", required=True)
    parser.add_argument("--certs", required=True)
    parser.add_argument("--fixture", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--limit-mib", type=int, required=True)
    parser.add_argument("--budget", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as certs_dir:
        subprocess.run([args.certs, "--out-dir", certs_dir, "--ip", "127.0.0.1"], check=True,
                       stdout=subprocess.DEVNULL)
        budget = f"{args.budget} bytes" if args.budget else "default"
        print(f"{args.clients} concurrent clients, {args.runs} runs per body, review memory budget: {budget}, "
              f"chart limit {args.limit_mib} MiB")
        print(f"{'body':<16} {'bytes':>8} {'elements':>9} {'peak_rss_mib':>12} {'of_limit':>8} "
              f"{'answers':>12} {'429s':>5} {'all_answered_s':>14}")
        for name, body in bodies(args.fixture).items():
            samples = [run_once(args, certs_dir, body) for _ in range(args.runs)]
            peak = statistics.median(s[0] for s in samples)
            statuses = sorted({str(status) for _, outcome, _ in samples for status, _ in outcome})
            refusals = statistics.median(sum(r for _, r in outcome) for _, outcome, _ in samples)
            seconds = statistics.median(s[2] for s in samples)
            print(f"{name:<16} {len(body):>8} {elements(body.decode()):>9} {peak:>12.1f} "
                  f"{100 * peak / args.limit_mib:>7.0f}% {','.join(statuses):>12} {refusals:>5.0f} {seconds:>14.2f}")


if __name__ == "__main__":
    main()

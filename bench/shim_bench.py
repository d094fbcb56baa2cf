"""Measures autocanary-shim beside a local HTTP app, and autocanary-shim-tls
beside the same app served over HTTPS (bench/shim.sh runs it).

Per run: the time from exec to the first probe result (the shim logs that line
with its CLOCK_MONOTONIC time, compared with ours taken just before the spawn),
peak RSS (VmHWM) and RSS after RSS_SECONDS with /ready polled each second and
/metrics scraped, the resident split (anonymous vs file-backed, largest
mappings), and the SIGTERM exit time. Then CPU per probe: the shim probing at a
fast period, utime+stime from /proc/PID/stat and the threads' run time from
/proc/PID/task/*/schedstat over a known number of probes (from /metrics).
Medians over --runs. The TLS app's certificate is a throwaway self-signed one
made with the openssl command."""

import argparse
import collections
import http.server
import json
import os
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(tls_dir=None):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "3")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"ok\n")

        def log_message(self, *args):
            pass

    class Server(http.server.ThreadingHTTPServer):
        request_queue_size = 128  # a probe every few ms must not find the backlog full
        daemon_threads = True

        def handle_error(self, request, client_address):
            # A probe the shim gave up on (its timeout, or SIGTERM) closes mid-answer.
            if not isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError)):
                super().handle_error(request, client_address)

    server = Server(("127.0.0.1", free_port()), Handler)
    if tls_dir is not None:
        key, cert = os.path.join(tls_dir, "key.pem"), os.path.join(tls_dir, "cert.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1"],
                       check=True, capture_output=True)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def run_seconds(pid):
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[0])
        except FileNotFoundError:
            pass
    return total / 1e9


def largest_mappings(pid, count=6):
    resident = collections.Counter()
    name = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            parts = line.split()
            if "-" in parts[0] and len(parts) >= 5 and ":" in parts[3]:
                name = os.path.basename(parts[5]) if len(parts) > 5 else "[anonymous]"
            elif parts[0] == "Rss:":
                resident[name] += int(parts[1])
    return resident.most_common(count)


def get(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def probe_count(port):
    _, text = get(port, "/metrics")
    return sum(float(line.split()[-1]) for line in text.splitlines()
               if line.startswith("autocanary_shim_probe_results_total{"))


def start_shim(shim, port, probe, extra, log):
    return subprocess.Popen([shim, "--bind-address", "127.0.0.1", "--port", str(port), "--probe", probe, *extra],
                            stderr=log, env={k: v for k, v in os.environ.items() if not k.startswith("AUTOCANARY_")})


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.005)
    raise SystemExit(f"shim benchmark: timed out waiting for {what}")


def first_probe_line(log_path):
    with open(log_path) as f:
        for line in f:
            entry = json.loads(line)
            if entry.get("msg") == "first probe result":
                return entry
    return None


def memory_run(shim, probe, rss_seconds):
    port = free_port()
    with tempfile.NamedTemporaryFile("w+", suffix=".log") as log:
        spawned = time.monotonic()
        process = start_shim(shim, port, probe, [], log)
        try:
            first = wait_until(lambda: first_probe_line(log.name), 10, "the first probe result")
            while time.monotonic() - spawned < rss_seconds:
                get(port, "/ready")
                get(port, "/live")
                if int(time.monotonic() - spawned) % 5 == 4:
                    get(port, "/metrics")
                time.sleep(1)
            result = {
                "start_to_first_probe_ms": (first["monotonicSeconds"] - spawned) * 1e3,
                "main_to_first_probe_ms": first["secondsSinceStart"] * 1e3,
                "first_probe_success": first["success"],
                "peak_rss_kib": status_kib(process.pid, "VmHWM"),
                "rss_kib": status_kib(process.pid, "VmRSS"),
                "rss_anon_kib": status_kib(process.pid, "RssAnon"),
                "rss_file_kib": status_kib(process.pid, "RssFile"),
                "threads": status_kib(process.pid, "Threads"),
                "largest": largest_mappings(process.pid),
            }
            signalled = time.monotonic()
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=5)
            result["sigterm_exit_ms"] = (time.monotonic() - signalled) * 1e3
            result["exit_code"] = code
            return result
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def cpu_run(shim, probe, period, probes):
    port = free_port()
    with tempfile.NamedTemporaryFile("w+", suffix=".log") as log:
        process = start_shim(shim, port, probe, ["--period", period], log)
        try:
            wait_until(lambda: ready(port), 10, "ready")
            # Two scrapes only: each scrape costs the shim CPU too.
            count0, cpu0, run0 = probe_count(port), cpu_seconds(process.pid), run_seconds(process.pid)
            time.sleep(probes * period_seconds(period))
            count1, cpu1, run1 = probe_count(port), cpu_seconds(process.pid), run_seconds(process.pid)
            done = count1 - count0
            return {"probes": done, "cpu_us_per_probe": (cpu1 - cpu0) / done * 1e6,
                    "run_us_per_probe": (run1 - run0) / done * 1e6}
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=5)


def period_seconds(text):
    for suffix, scale in (("ms", 1e-3), ("s", 1.0)):
        if text.endswith(suffix):
            return float(text[:-len(suffix)]) * scale
    raise SystemExit(f"shim benchmark: write the period as Nms or Ns, not {text}")


def ready(port):
    try:
        return get(port, "/ready")[0] == 200
    except OSError:
        return False


def median(values):
    return statistics.median(values)


def measure(name, shim, probes, args):
    """Memory runs with the last of `probes` (kind → probe text), CPU runs with each."""
    memory = [memory_run(shim, list(probes.values())[-1], args.rss_seconds) for _ in range(args.runs)]
    cpu = {kind: [cpu_run(shim, probe, args.fast_period, args.probes) for _ in range(args.runs)]
           for kind, probe in probes.items()}
    print(f"{name}, probing {' and '.join(probes)} — runs: {args.runs}; medians (min–max)")
    for key, unit in [("start_to_first_probe_ms", "ms"), ("main_to_first_probe_ms", "ms"),
                      ("peak_rss_kib", "KiB"), ("rss_kib", "KiB"), ("rss_anon_kib", "KiB"),
                      ("rss_file_kib", "KiB"), ("sigterm_exit_ms", "ms"), ("threads", "")]:
        values = [run[key] for run in memory]
        print(f"  {key:26} {median(values):10.2f} {unit:4} ({min(values):.2f}–{max(values):.2f})")
    print("  largest mappings (last run, KiB): " +
          ", ".join(f"{mapping} {kib}" for mapping, kib in memory[-1]["largest"]))
    for kind, runs in cpu.items():
        for key in ("cpu_us_per_probe", "run_us_per_probe"):
            values = [run[key] for run in runs]
            print(f"  {kind:5} {key:20} {median(values):10.1f} µs   ({min(values):.1f}–{max(values):.1f}),"
                  f" {int(runs[0]['probes'])} probes at {args.fast_period}")
    if any(run["exit_code"] != 0 for run in memory):
        raise SystemExit(f"shim benchmark: {name} did not exit 0 on SIGTERM")
    return {"memory": memory, "cpu": cpu}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shim", required=True)
    parser.add_argument("--shim-tls", help="also measure this TLS build with an HTTPS probe")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rss-seconds", type=float, default=10)
    parser.add_argument("--fast-period", default="5ms")
    parser.add_argument("--probes", type=int, default=2000)
    parser.add_argument("--json")
    args = parser.parse_args()

    figures = {}
    app = start_app()
    port = app.server_address[1]
    figures["autocanary-shim"] = measure("autocanary-shim", args.shim,
                                         {"tcp": f"tcp:{port}", "http": f"http:{port}/healthz"}, args)
    app.shutdown()
    if args.shim_tls:
        with tempfile.TemporaryDirectory() as tls_dir:
            app = start_app(tls_dir)
            port = app.server_address[1]
            figures["autocanary-shim-tls"] = measure("autocanary-shim-tls", args.shim_tls,
                                                     {"https": f"https:{port}/healthz"}, args)
            app.shutdown()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=2)


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""The `mlgate guard` benchmark's driver (scripts/bench-guard runs it; not a test).

Against a real MLflow 3.17 server that delivers webhooks to loopback, with mlgate's release
binary, it measures:
  1. webhooks: an alias moved by a plain REST call to a failing version -> the revert landing
     (median, p95 over N moves);
  2. no webhooks: the same, found by a reconcile every --poll seconds;
  3. a burst of 1,000 signed deliveries (plus 100 repeated ids): every one answered, each
     delivery id decided at most once, the guard's peak RSS;
  4. `guard --once` over 100 protected targets, all compliant (records only).

Usage: python bench_guard.py --mlgate BIN --tracking-uri URI --ids IDS.json --policy FILE
                             [--moves 20] [--burst 1000] [--targets 100]
"""

import argparse
import concurrent.futures
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid

from mlflow.webhooks.delivery import _generate_hmac_signature

SECRET = "bench-guard-secret"


def rest(uri, method, path, body=None, query=""):
    url = f"{uri}/api/2.0/mlflow/{path}{query}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        text = r.read()
    return json.loads(text or b"{}")


def register(uri, ids, name, labels):
    rest(uri, "POST", "registered-models/create", {"name": name})
    for label in labels:
        run = ids["promotion"][label]
        body = {"name": name, "source": run["source"], "run_id": run["run_id"]}
        if run.get("model_id"):
            body["model_id"] = run["model_id"]
        rest(uri, "POST", "model-versions/create", body)


def champion(uri, name):
    model = rest(uri, "GET", "registered-models/get", query=f"?name={name}")["registered_model"]
    for a in model.get("aliases", []):
        if a["alias"] == "champion":
            return a["version"]
    return None


def set_alias(uri, name, version):
    rest(uri, "POST", "registered-models/alias", {"name": name, "alias": "champion", "version": version})


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def promote(args, name, version="1"):
    subprocess.run(
        [args.mlgate, "promote", f"models:/{name}/{version}", "--to-alias", "champion", "--no-config",
         "--policy", args.policy, "--quiet", "--tracking-uri", args.tracking_uri],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=clean_env())


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_TRACKING")}
    env.update(extra)
    return env


def start_guard(args, protect, log, extra):
    cmd = [args.mlgate, "guard", "--no-config", "--policy", args.policy, "--tracking-uri", args.tracking_uri,
           "--on-violation", "revert", "--decisions", log]
    for p in protect:
        cmd += ["--protect", p]
    return subprocess.Popen(cmd + extra, env=clean_env(MLGATE_WEBHOOK_SECRET=SECRET),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def stop_guard(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise SystemExit("bench-guard: the guard did not stop on SIGTERM")


def wait_healthy(port, proc):
    deadline = time.time() + 30
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"bench-guard: the guard ended: {proc.stderr.read().decode()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.05)
    raise SystemExit("bench-guard: /healthz never answered 200")


def decisions(log):
    try:
        with open(log) as f:
            return [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        return []


def revert_times(args, name, moves, between):
    """Moves @champion to the failing v2 by REST; the time until it is back on v1."""
    times = []
    for _ in range(moves):
        t0 = time.monotonic()
        set_alias(args.tracking_uri, name, "2")
        deadline = t0 + 120
        while champion(args.tracking_uri, name) != "1":
            if time.monotonic() > deadline:
                raise SystemExit("bench-guard: the bypass was not reverted within 120 s")
            time.sleep(0.01)
        times.append(time.monotonic() - t0)
        time.sleep(between)
    return times


def summary(times):
    times = sorted(times)
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    return f"median {statistics.median(times):.3f} s, p95 {p95:.3f} s, max {times[-1]:.3f} s (n={len(times)})"


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mlgate", required=True)
    ap.add_argument("--tracking-uri", required=True)
    ap.add_argument("--ids", required=True)
    ap.add_argument("--policy", required=True)
    ap.add_argument("--moves", type=int, default=20)
    ap.add_argument("--burst", type=int, default=1000)
    ap.add_argument("--targets", type=int, default=100)
    args = ap.parse_args()
    ids = json.load(open(args.ids))
    uri = args.tracking_uri
    work = tempfile.mkdtemp(prefix="bench-guard-")
    run = uuid.uuid4().hex[:6]

    # 1. Webhooks.
    name = f"bench-guard-{run}"
    register(uri, ids, name, ["champion", "worse"])
    promote(args, name)
    port = free_port()
    log = os.path.join(work, "webhooks.jsonl")
    url = f"http://127.0.0.1:{port}/webhooks/mlflow"
    guard = start_guard(args, [f"{name}@champion"], log,
                        ["--listen", f"127.0.0.1:{port}", "--poll", "3600", "--register", url])
    wait_healthy(port, guard)
    time.sleep(2)  # the server's subscription cache (MLFLOW_WEBHOOK_CACHE_TTL=1)
    times = revert_times(args, name, args.moves, 0.3)
    reverted = sum(1 for d in decisions(log) if d["action"] == "reverted")
    print(f"webhooks: bypass -> revert landed: {summary(times)}; {reverted} reverted decision(s)")
    stop_guard(guard)
    for w in rest(uri, "GET", "webhooks")["webhooks"]:
        rest(uri, "DELETE", f"webhooks/{w['webhook_id']}")

    # 2. No webhooks: reconcile every 2 s.
    log = os.path.join(work, "poll.jsonl")
    guard = start_guard(args, [f"{name}@champion"], log, ["--poll", "2"])
    time.sleep(1)
    times = revert_times(args, name, 5, 0.5)
    print(f"no webhooks (--poll 2): bypass -> revert landed: {summary(times)}")
    stop_guard(guard)

    # 3. A burst of signed deliveries: 10 protected models, alias events round-robin.
    burst_models = [f"bench-burst-{run}-{i}" for i in range(10)]
    for m in burst_models:
        register(uri, ids, m, ["champion"])
        promote(args, m)
    port = free_port()
    log = os.path.join(work, "burst.jsonl")
    guard = start_guard(args, [f"bench-burst-{run}-*@champion"], log,
                        ["--listen", f"127.0.0.1:{port}", "--poll", "3600"])
    wait_healthy(port, guard)
    time.sleep(3)  # the first reconcile
    before = len(decisions(log))
    deliveries = []
    for i in range(args.burst):
        body = json.dumps({"entity": "model_version_alias", "action": "created",
                           "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
                           "data": {"name": burst_models[i % 10], "alias": "champion", "version": "1"}})
        deliveries.append((str(uuid.uuid4()), body))
    deliveries += deliveries[:100]  # repeated ids: answered, decided never

    def send(d):
        delivery, body = d
        ts = str(int(time.time()))
        sig = _generate_hmac_signature(SECRET, delivery, ts, body)
        req = urllib.request.Request(f"http://127.0.0.1:{port}/webhooks/mlflow",
                                     data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/json", "X-MLflow-Delivery-Id": delivery,
                                              "X-MLflow-Timestamp": ts, "X-MLflow-Signature": sig})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code
        except Exception:  # noqa: BLE001 - an unanswered delivery is what is counted
            return None

    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(50) as pool:
        statuses = list(pool.map(send, deliveries))
    took = time.monotonic() - t0
    time.sleep(3)
    answered = sum(1 for s in statuses if s is not None)
    accepted = sum(1 for s in statuses if s == 202)
    after = decisions(log)[before:]
    sources = [d["source"] for d in after]
    twice = len(sources) - len(set(sources))
    rss = peak_rss_mib(guard.pid)
    print(f"burst: {len(deliveries)} deliveries ({args.burst} + 100 repeated ids) in {took:.2f} s: "
          f"{answered} answered ({accepted} accepted, {statuses.count(200)} answered 200), "
          f"{len(after)} decisions, {twice} delivery decided twice; peak RSS {rss:.1f} MiB")
    stop_guard(guard)

    # 4. --once over many compliant targets.
    prefix = f"bench-once-{run}"
    for i in range(args.targets):
        register(uri, ids, f"{prefix}-{i}", ["champion"])
        promote(args, f"{prefix}-{i}")
    cmd = [args.mlgate, "guard", "--once", "--no-config", "--policy", args.policy, "--tracking-uri", uri,
           "--protect", f"{prefix}-*@champion", "--decisions", os.path.join(work, "once.jsonl")]
    t0 = time.monotonic()
    code = subprocess.run(cmd, env=clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    took = time.monotonic() - t0
    accepted = sum(1 for d in decisions(os.path.join(work, "once.jsonl")) if d["action"] == "accepted")
    print(f"--once over {args.targets} compliant targets: {took:.2f} s, exit {code}, {accepted} accepted")


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""The promotion ledger's benchmark driver (scripts/bench-ledger runs it; not a test).

Against one real MLflow server, with mlgate's release binary:
  1. the longest registered-model tag value the server accepts (a ledger entry must fit);
  2. `mlgate history NAME@champion --verify --json` over ENTRIES entries written by REST
     (chained here exactly as mlgate chains them: --verify must hold, which cross-checks it);
  3. `mlgate promote` on a target with an empty ledger and on one with ENTRIES entries, and one
     `registered-models/get` and one version `set-tag` of each model: what the ledger costs
     promote beyond reading it is what the server takes longer to answer on that model.

Usage: python bench_ledger.py --mlgate BIN --tracking-uri URI --ids IDS.json --policy FILE
                              [--entries 1000] [--runs 5]
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import statistics
import subprocess
import time
import urllib.error
import urllib.request


def rest(uri, method, path, body=None, query=""):
    url = f"{uri}/api/2.0/mlflow/{path}{query}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        text = r.read()
    return json.loads(text or b"{}")


def accepted(uri, name, length):
    try:
        rest(uri, "POST", "registered-models/set-tag", {"name": name, "key": "limit", "value": "x" * length})
        return True
    except urllib.error.HTTPError:
        return False


def tag_limit(uri, name):
    """The longest value accepted, by bisection up to 1,000,000 characters."""
    lo, hi = 0, 1_000_000
    if accepted(uri, name, hi):
        return f">= {hi}"
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if accepted(uri, name, mid):
            lo = mid
        else:
            hi = mid
    return str(lo)


def register(uri, ids, name, labels):
    rest(uri, "POST", "registered-models/create", {"name": name})
    for label in labels:
        run = ids["promotion"][label]
        body = {"name": name, "source": run["source"], "run_id": run["run_id"]}
        if run.get("model_id"):
            body["model_id"] = run["model_id"]
        rest(uri, "POST", "model-versions/create", body)


def entries(n):
    """N chained entries of @champion moving between versions 1 and 2, as mlgate writes them."""
    prev = ""
    out = []
    for seq in range(1, n + 1):
        to = "1" if seq % 2 else "2"
        e = {
            "v": 1,
            "seq": seq,
            "at": f"2026-01-01T00:00:{seq % 60:02d}.000Z",
            "target": "@champion",
            "from": None if seq == 1 else ("2" if to == "1" else "1"),
            "to": to,
            "how": "promote",
            "verdict": "pass",
            "policy": "sha256:" + "a" * 64,
            "snapshot": "sha256:" + "b" * 64,
            "actor": "github:octocat (workflow release)",
            "run": "https://github.com/acme/models/actions/runs/%d" % seq,
            "nonce": "%012x" % seq,
            "prev": prev,
            "id": "",
        }
        text = json.dumps(e, separators=(",", ":"), ensure_ascii=False)
        e["id"] = hashlib.sha256(text.encode()).hexdigest()
        prev = e["id"]
        key = "mlgate.ledger.alias.champion.%08d.%s" % (seq, e["nonce"])
        out.append((key, json.dumps(e, separators=(",", ":"), ensure_ascii=False)))
    return out


def clean_env():
    return {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_TRACKING")}


def timed(cmd):
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, env=clean_env())
    return time.perf_counter() - start, out


def median_max(xs):
    return f"median {statistics.median(xs):.3f} s, max {max(xs):.3f} s"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mlgate", required=True)
    p.add_argument("--tracking-uri", required=True)
    p.add_argument("--ids", required=True)
    p.add_argument("--policy", required=True)
    p.add_argument("--entries", type=int, default=1000)
    p.add_argument("--runs", type=int, default=5)
    a = p.parse_args()
    uri = a.tracking_uri
    ids = json.load(open(a.ids))
    label = f"MLflow {ids.get('mlflow_version', '?')}"
    stamp = int(time.time())

    limit_model = f"bench-ledger-limit-{stamp}"
    rest(uri, "POST", "registered-models/create", {"name": limit_model})
    print(f"{label}: longest registered-model tag value accepted: {tag_limit(uri, limit_model)} characters")

    big, small = f"bench-ledger-big-{stamp}", f"bench-ledger-small-{stamp}"
    for name in (big, small):
        register(uri, ids, name, ["good", "good"])
    written = entries(a.entries)
    longest = max(len(v) for _, v in written)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda kv: rest(uri, "POST", "registered-models/set-tag",
                                      {"name": big, "key": kv[0], "value": kv[1]}), written))
    holder = "1" if a.entries % 2 else "2"
    for name in (big, small):
        rest(uri, "POST", "registered-models/alias", {"name": name, "alias": "champion", "version": holder})

    times = []
    for _ in range(a.runs):
        t, out = timed([a.mlgate, "history", f"{big}@champion", "--verify", "--json", "--tracking-uri", uri])
        if out.returncode != 0:
            raise SystemExit(f"bench-ledger: history --verify exited {out.returncode}: {out.stdout.decode()[-2000:]} {out.stderr.decode()}")
        n = len(json.loads(out.stdout)["entries"])
        if n != a.entries:
            raise SystemExit(f"bench-ledger: history listed {n} entries, not {a.entries}")
        times.append(t)
    print(f"{label}: history --verify over {a.entries} entries (longest {longest} bytes): {median_max(times)}")

    def promote(name, version):
        t, out = timed([a.mlgate, "promote", f"models:/{name}/{version}", "--to-alias", "champion", "--no-config",
                        "--policy", a.policy, "--quiet", "--tracking-uri", uri])
        if out.returncode != 0:
            raise SystemExit(f"bench-ledger: promote exited {out.returncode}: {out.stderr.decode()}")
        return t

    by_model = {big: [], small: []}
    version = {big: holder, small: holder}
    for _ in range(a.runs):
        for name in (small, big):  # interleaved, so a drift of the machine hits both
            version[name] = "2" if version[name] == "1" else "1"
            by_model[name].append(promote(name, version[name]))
    gets = {big: [], small: []}
    for _ in range(20):
        for name in (small, big):
            start = time.perf_counter()
            rest(uri, "GET", "registered-models/get", query=f"?name={name}")
            gets[name].append(time.perf_counter() - start)
    # What every write of a promotion costs the server on each model (MLflow 3.17 takes
    # longer to set a version's tag when its registered model carries many tags).
    sets = {big: [], small: []}
    for i in range(20):
        for name in (small, big):
            start = time.perf_counter()
            rest(uri, "POST", "model-versions/set-tag", {"name": name, "version": "1", "key": "bench", "value": str(i)})
            sets[name].append(time.perf_counter() - start)
    diff = statistics.median(by_model[big]) - statistics.median(by_model[small])
    print(f"{label}: promote, empty ledger: {median_max(by_model[small])}; "
          f"{a.entries} entries: {median_max(by_model[big])}; difference {diff * 1000:+.0f} ms")
    print(f"{label}: one registered-models/get: empty ledger median {statistics.median(gets[small]) * 1000:.1f} ms, "
          f"{a.entries} entries median {statistics.median(gets[big]) * 1000:.1f} ms")
    print(f"{label}: one model-versions/set-tag: empty ledger median {statistics.median(sets[small]) * 1000:.1f} ms, "
          f"{a.entries} entries median {statistics.median(sets[big]) * 1000:.1f} ms")


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""Python baseline for `mlgate check --all-models` (scripts/bench bulk): with MlflowClient and
8 threads, gather for every version of every registered model matching --filter the facts
mlgate's snapshot holds: registered model and experiment (read once per model / id, as mlgate
caches them), model version, download URI, run, the MLmodel file (downloaded and parsed), the
input example it names, the artifact listing, and (MLflow 3) the logged model a version was
registered from (`models:/m-…` source), as mlgate's `logged_model` section. One cold process;
the time includes `import mlflow`.

Usage: python bulk_baseline.py --tracking-uri URI [--filter "name LIKE 'x%'"] [--threads 8]
Prints one line: bulk-baseline: N versions of M models in S s (… errors)
"""
import time

T0 = time.perf_counter()
import argparse  # noqa: E402
import os  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import warnings  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402

warnings.filterwarnings("ignore")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

import mlflow  # noqa: E402
import yaml  # noqa: E402
from mlflow import MlflowClient  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tracking-uri", required=True)
    ap.add_argument("--filter", default=None)
    ap.add_argument("--threads", type=int, default=8)
    a = ap.parse_args()
    mlflow.set_tracking_uri(a.tracking_uri)
    client = MlflowClient(tracking_uri=a.tracking_uri, registry_uri=a.tracking_uri)

    models, token = [], None
    while True:
        page = client.search_registered_models(filter_string=a.filter, max_results=1000, page_token=token)
        models.extend(page)
        token = page.token
        if not token:
            break
    versions = []
    for m in models:
        versions.extend(client.search_model_versions(f"name='{m.name}'", max_results=10000))

    lock = threading.Lock()
    registered, experiments, errors = {}, {}, []

    key_locks = {}

    def cached(cache, key, fetch):
        # One fetch per key, as mlgate's memo: the threads asking for a key being fetched wait.
        with lock:
            key_lock = key_locks.setdefault((id(cache), key), threading.Lock())
        with key_lock:
            if key not in cache:
                cache[key] = fetch()
            return cache[key]

    def list_all(uri, path=None, depth=0):
        out = []
        for f in mlflow.artifacts.list_artifacts(artifact_uri=uri if path is None else f"{uri.rstrip('/')}/{path}"):
            if f.is_dir and depth < 5:
                out.extend(list_all(uri, f.path, depth + 1))
            else:
                out.append((f.path, f.file_size))
        return out

    def one(v):
        facts = {}
        try:
            facts["registered_model"] = cached(registered, v.name, lambda: client.get_registered_model(v.name))
            mv = client.get_model_version(v.name, v.version)
            uri = client.get_model_version_download_uri(v.name, v.version)
            source = mv.source or ""
            if source.startswith("models:/m-") and hasattr(client, "get_logged_model"):
                facts["logged_model"] = client.get_logged_model(source[len("models:/"):])
            if mv.run_id:
                run = client.get_run(mv.run_id)
                facts["experiment"] = cached(
                    experiments, run.info.experiment_id, lambda: client.get_experiment(run.info.experiment_id)
                )
            with tempfile.TemporaryDirectory() as d:
                path = mlflow.artifacts.download_artifacts(artifact_uri=f"{uri.rstrip('/')}/MLmodel", dst_path=d)
                with open(path) as f:
                    facts["mlmodel"] = yaml.safe_load(f.read())
                example = ((facts["mlmodel"] or {}).get("saved_input_example_info") or {}).get("artifact_path")
                if example:
                    path = mlflow.artifacts.download_artifacts(artifact_uri=f"{uri.rstrip('/')}/{example}", dst_path=d)
                    with open(path) as f:
                        facts["input_example"] = f.read()
            facts["files"] = list_all(uri)
        except Exception as e:  # noqa: BLE001
            with lock:
                errors.append(f"{v.name}/{v.version}: {type(e).__name__}")
        return facts

    with ThreadPoolExecutor(max_workers=a.threads) as pool:
        for _ in pool.map(one, versions):
            pass
    print(
        f"bulk-baseline: {len(versions)} versions of {len(models)} models in {time.perf_counter() - T0:.2f} s"
        f" ({len(errors)} errors, {a.threads} threads, mlflow {mlflow.__version__})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

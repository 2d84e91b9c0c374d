#!/usr/bin/env python
"""Python baseline for mlgate's benchmark: gather, with MlflowClient, the facts mlgate gathers
for ONE model version, in one cold process (the time includes `import mlflow`).

Usage:
    python baseline.py --tracking-uri URI --model-ref models:/NAME/VERSION --out FILE.json
    (also models:/NAME@ALIAS and models:/NAME/STAGE)
For a basic-auth server export MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD.

Fetches: registered model, (alias | stage ->) model version, download URI, run (params,
metrics, tags, dataset inputs), experiment, LoggedModel (3.x, models:/m-... sources) and the
MLmodel file (artifact download, parsed). Writes them as JSON to --out and prints one line:
    baseline: total 0.917 s (import 0.838 s, fetch 0.079 s, since process start 1.12 s) ...
"total" runs from this file's first line; "since process start" adds interpreter start-up.
Errors (e.g. an s3:// source without boto3) are recorded in the JSON, not raised.
"""
import time

T0 = time.perf_counter()
import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import warnings  # noqa: E402

warnings.filterwarnings("ignore")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

import mlflow  # noqa: E402
from mlflow import MlflowClient  # noqa: E402

T_IMPORT = time.perf_counter()
MLFLOW_MAJOR = int(mlflow.__version__.split(".")[0])


def process_age() -> float | None:
    """Seconds since this process was created (Linux /proc; 10 ms resolution), else None."""
    try:
        with open("/proc/self/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return uptime - int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def parse_ref(ref: str):
    m = re.fullmatch(r"models:/([^/@]+)(?:@([^/]+)|/([^/]+))", ref)
    if not m:
        raise SystemExit(f"--model-ref must be models:/NAME/VERSION, models:/NAME@ALIAS or models:/NAME/STAGE: {ref}")
    name, alias, ver = m.groups()
    return name, alias, ver


def err(e: Exception) -> dict:
    return {"error": f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:300]}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tracking-uri", required=True)
    ap.add_argument("--model-ref", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    name, alias, ver = parse_ref(a.model_ref)

    t1 = time.perf_counter()
    # without set_tracking_uri, mlflow-artifacts:/ URIs resolve against the default
    # tracking URI (MLflow 3: sqlite:///mlflow.db in the CWD) and fail
    mlflow.set_tracking_uri(a.tracking_uri)
    client = MlflowClient(tracking_uri=a.tracking_uri, registry_uri=a.tracking_uri)

    rm = client.get_registered_model(name)
    if alias:
        version = client.get_model_version_by_alias(name, alias).version
    elif ver.isdigit():
        version = ver
    else:  # stage
        latest = client.get_latest_versions(name, stages=[ver])
        if not latest:
            raise SystemExit(f"no version of {name} in stage {ver}")
        version = latest[0].version
    mv = client.get_model_version(name, version)
    facts = {
        "model_ref": a.model_ref,
        "registered_model": {
            "name": rm.name,
            "description": rm.description or "",
            "tags": dict(rm.tags or {}),
            "aliases": dict(getattr(rm, "aliases", None) or {}),
        },
        "model_version": {
            "name": mv.name,
            "version": str(mv.version),
            "current_stage": mv.current_stage,
            "aliases": list(mv.aliases or []),
            "description": mv.description or "",
            "tags": dict(mv.tags or {}),
            "run_id": mv.run_id or "",
            "source": mv.source,
            "status": mv.status,
            "creation_timestamp": mv.creation_timestamp,
        },
    }
    try:
        uri = client.get_model_version_download_uri(name, version)
    except Exception as e:  # noqa: BLE001
        uri = None
        facts["download_uri_error"] = err(e)["error"]
    facts["download_uri"] = uri

    run = None
    if mv.run_id:
        try:
            run = client.get_run(mv.run_id)
            facts["run"] = {
                "run_id": run.info.run_id,
                "run_name": run.info.run_name,
                "status": run.info.status,
                "experiment_id": run.info.experiment_id,
                "params": dict(run.data.params),
                "metrics": dict(run.data.metrics),
                "tags": dict(run.data.tags),
                "datasets": [
                    {
                        "name": di.dataset.name,
                        "digest": di.dataset.digest,
                        "source_type": di.dataset.source_type,
                        "source": di.dataset.source,
                        "schema": di.dataset.schema,
                        "context": {t.key: t.value for t in (di.tags or [])}.get("mlflow.data.context"),
                    }
                    for di in (run.inputs.dataset_inputs or [])
                ],
            }
        except Exception as e:  # noqa: BLE001
            facts["run"] = err(e)
    if run is not None:
        try:
            exp = client.get_experiment(run.info.experiment_id)
            facts["experiment"] = {"experiment_id": exp.experiment_id, "name": exp.name, "tags": dict(exp.tags)}
        except Exception as e:  # noqa: BLE001
            facts["experiment"] = err(e)

    if MLFLOW_MAJOR >= 3 and mv.source.startswith("models:/m-"):
        try:
            lm = client.get_logged_model(mv.source[len("models:/"):])
            facts["logged_model"] = {
                "model_id": lm.model_id,
                "artifact_location": lm.artifact_location,
                "source_run_id": lm.source_run_id,
                "model_type": lm.model_type,
                "status": str(lm.status),
                "params": dict(lm.params or {}),
                "metrics": [{"key": m.key, "value": m.value, "dataset_name": m.dataset_name} for m in lm.metrics or []],
                "tags": dict(lm.tags or {}),
            }
        except Exception as e:  # noqa: BLE001
            facts["logged_model"] = err(e)

    if uri:
        with tempfile.TemporaryDirectory() as d:
            try:
                import yaml

                path = mlflow.artifacts.download_artifacts(
                    artifact_uri=f"{uri.rstrip('/')}/MLmodel", dst_path=d, tracking_uri=a.tracking_uri
                )
                with open(path) as f:
                    text = f.read()
                doc = yaml.safe_load(text)
                sig = doc.get("signature") or {}
                facts["mlmodel"] = {
                    "bytes": len(text.encode()),
                    "flavors": sorted((doc.get("flavors") or {}).keys()),
                    "has_signature": bool(sig),
                    "signature_inputs": json.loads(sig["inputs"]) if sig.get("inputs") else None,
                    "signature_outputs": json.loads(sig["outputs"]) if sig.get("outputs") else None,
                    "has_input_example": "saved_input_example_info" in doc,
                    "mlflow_version": doc.get("mlflow_version"),
                    "model_uuid": doc.get("model_uuid"),
                    "model_id": doc.get("model_id"),
                }
            except Exception as e:  # noqa: BLE001
                facts["mlmodel"] = err(e)
    t2 = time.perf_counter()
    age = process_age()
    facts["timing"] = {
        # from process creation (includes interpreter start-up); null where /proc is missing
        "process_s": round(age, 2) if age is not None else None,
        "mlflow_client": mlflow.__version__,
        "import_s": round(T_IMPORT - T0, 3),
        "fetch_s": round(t2 - t1, 3),
        "total_s": round(t2 - T0, 3),
    }
    with open(a.out, "w") as f:
        json.dump(facts, f, indent=2, default=str)
        f.write("\n")
    proc = f", since process start {age:.2f} s" if age is not None else ""
    print(
        f"baseline: total {t2 - T0:.3f} s (import {T_IMPORT - T0:.3f} s, fetch {t2 - t1:.3f} s{proc})"
        f" mlflow {mlflow.__version__} {a.model_ref}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""Fill an MLflow tracking server (2.22.x or 3.17.x) with known data for mlgate's live tests.

Usage:
    python populate.py --tracking-uri http://127.0.0.1:PORT --out ids.json [--prefix lab] [--auth]

With --auth (a server started with --app-name basic-auth) the admin's credentials are read from
MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD, and the users below are created with the
credentials in MLGATE_TEST_AUTH_{READER,NOGRANT,MANAGER}_{USER,PASSWORD} (defaults below).

What it creates (names get --prefix, default "lab"):
  * experiment "<p>-credit-scoring" (tags incl. mlflow.note.content)
  * runs "train-v1", "train-v2" in it: params, metrics (train_loss over 3 steps), tags incl.
    git_commit, two dataset inputs (training / eval), an sklearn model logged WITH signature
    and input_example (3.x: a LoggedModel with params, a metric and tags)
  * "<p>-credit-model" (GOOD): description + tags; v1 (Staging, alias challenger) and
    v2 (Production, alias champion), each with description + tags. 3.x: sources are
    models:/m-... (LoggedModel); 2.x: mlflow-artifacts:/... run artifact paths.
  * "<p>-bad-model" (BAD): no description, no tags; v1 from run "quick-hack" (Default
    experiment, no params/metrics/datasets; pyfunc without signature / input example),
    v1 in stage Production with alias champion; v2 from create_model_version with source
    s3://lab-bucket/legacy/credit-model and no run (artifacts unreachable).
  * promotion: four runs (champion, good, worse, drops-column) with auc / log_loss metrics,
    params and pyfunc models whose signatures differ (good adds an optional input,
    drops-column loses `income`), and `<prefix>-promo-model` registering them as v1..v4
    (v1 @champion and in Production); ids under "promotion" (run_id, source, model_id).
  * "two-models" run: two pyfunc models, `good` (signature) and `bad` (none), logged under
    those names in one run (ids: two_models_run).
  * "<p>-runs-uri-model": v1 created with create_model_version(name, "runs:/<train-v1>/model",
    run_id) so its source stays a runs:/ URI (server answers 500 on /model-versions/get-artifact).
  * --auth: users reader (READ on the good model and its experiment), nogrant (no grants),
    manager (MANAGE on the bad model).

Everything written is re-read through the client and goes to --out:
  mlflow_version, tracking_uri, good_model, bad_model, runs_uri_model, experiment_id,
  experiment_name, git_commit, populate_seconds,
  run_ids       {"train-v1": id, "train-v2": id, "quick-hack": id}
  models        {name: {name, description, tags, aliases {alias: version},
                        versions {"1": {name, version, stage, aliases [..], description,
                                        tags (as returned; 3.x adds LoggedModel tags),
                                        run_id ("" if none), experiment_id (null if no run),
                                        source, logged_model_id (3.x models:/m-... else null),
                                        status, download_uri}}}}
  runs          {run_id: {run_id, run_name, experiment_id, status, artifact_uri, params,
                          metrics (latest value per key), metric_history (keys with >1 value),
                          tags (user tags, no mlflow.*), git_commit,
                          datasets [{name, digest, context, source_type, source, schema,
                                     profile, input_tags}], model_outputs [3.x model ids]}}
  experiments   {id: {experiment_id, name, artifact_location, lifecycle_stage, tags}}
  logged_models {model_id: {model_id, name, experiment_id, source_run_id, artifact_location,
                            model_type, status, params, metrics [..], tags}}   ({} on 2.x)
  auth          null, or {default_permission, users {role: {username, password, id, is_admin}},
                          grants [{username, resource_type, resource_id, permission}],
                          endpoints {..}, server_view {..: response bodies as returned}}
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings

T0 = time.time()
warnings.filterwarnings("ignore")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

import logging  # noqa: E402

import mlflow  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import requests  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from mlflow.models import infer_signature  # noqa: E402

logging.getLogger("mlflow").setLevel(logging.ERROR)
MLFLOW_MAJOR = int(mlflow.__version__.split(".")[0])
GIT_COMMIT = "0123456789abcdef0123456789abcdef01234567"


def log(msg: str) -> None:
    print(f"[populate {time.time() - T0:5.1f}s] {msg}", file=sys.stderr, flush=True)


def model_kwargs(artifact_name: str) -> dict:
    # MLflow 3 renamed artifact_path= to name= (artifact_path still works, with a warning)
    return {"name": artifact_name} if MLFLOW_MAJOR >= 3 else {"artifact_path": artifact_name}


def pip_reqs(*pkgs: str) -> list[str]:
    # explicit requirements: skips MLflow's requirement inference (a subprocess that
    # re-imports the model, several seconds per log_model on a 2-core machine)
    from importlib.metadata import version

    return [f"{p}=={version(p)}" for p in ("mlflow", *pkgs)]


class ConstantModel(mlflow.pyfunc.PythonModel):
    # no type hints on purpose: MLflow 3 would otherwise infer a signature from them
    def predict(self, context, model_input, params=None):
        return [0] * len(model_input)


def make_data(seed: int, n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "age": rng.integers(18, 80, n).astype("int64"),
            "income": rng.normal(50_000, 15_000, n).round(2),
            "debt_ratio": rng.uniform(0, 1, n).round(4),
        }
    )
    df["label"] = ((df["debt_ratio"] > 0.5) & (df["income"] < 50_000)).astype("int64")
    return df


def train_and_log(exp_id, reg_name, run_name, c_value, seed):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score

    train = make_data(seed)
    test = make_data(seed + 100, 80)
    X, y = train.drop(columns="label"), train["label"]
    Xt, yt = test.drop(columns="label"), test["label"]

    with mlflow.start_run(experiment_id=exp_id, run_name=run_name) as run:
        params = {"C": c_value, "max_iter": 500, "solver": "lbfgs", "random_state": seed}
        mlflow.log_params(params)
        mlflow.set_tags(
            {
                "team": "risk-ml",
                "owner": "alice@example.com",
                "data_classification": "internal",
                "git_commit": GIT_COMMIT,
            }
        )
        train_ds = mlflow.data.from_pandas(
            train, source="s3://lab-bucket/credit/train.parquet", name="credit-train", targets="label"
        )
        eval_ds = mlflow.data.from_pandas(
            test, source="s3://lab-bucket/credit/test.parquet", name="credit-test", targets="label"
        )
        mlflow.log_input(train_ds, context="training", tags={"split": "train"})
        mlflow.log_input(eval_ds, context="eval")

        model = LogisticRegression(C=c_value, max_iter=500).fit(X, y)
        pred = model.predict(Xt)
        acc = float(accuracy_score(yt, pred))
        f1 = float(f1_score(yt, pred, zero_division=0))
        for step in range(3):
            mlflow.log_metric("train_loss", 1.0 / (step + 1), step=step)
        mlflow.log_metrics({"accuracy": acc, "f1": f1})

        signature = infer_signature(X, model.predict(X))
        kwargs = model_kwargs("model")
        if MLFLOW_MAJOR >= 3:
            # LoggedModel params / type / tags (3.x only)
            kwargs.update(params=params, model_type="classifier", tags={"framework": "sklearn"})
        info = mlflow.sklearn.log_model(
            model,
            signature=signature,
            input_example=X.head(3),
            registered_model_name=reg_name,
            pip_requirements=pip_reqs("scikit-learn", "numpy", "pandas"),
            **kwargs,
        )
        if MLFLOW_MAJOR >= 3 and getattr(info, "model_id", None):
            # metrics linked to the LoggedModel and the eval dataset (3.x only)
            mlflow.log_metrics({"accuracy": acc, "f1": f1}, model_id=info.model_id, dataset=eval_ds)
    return run.info.run_id, info


# ------------------------------------------------------------------ re-reading ----------
def user_tags(tags: dict) -> dict:
    return {k: v for k, v in sorted(tags.items()) if not k.startswith("mlflow.")}


def describe_run(client: MlflowClient, run_id: str) -> dict:
    run = client.get_run(run_id)
    datasets = []
    for di in run.inputs.dataset_inputs or []:
        ds = di.dataset
        itags = {t.key: t.value for t in (di.tags or [])}
        datasets.append(
            {
                "name": ds.name,
                "digest": ds.digest,
                "context": itags.get("mlflow.data.context"),
                "source_type": ds.source_type,
                "source": ds.source,  # a JSON document inside a string, as the server stores it
                "schema": ds.schema,  # likewise
                "profile": ds.profile,
                "input_tags": itags,
            }
        )
    history = {}
    for key in sorted(run.data.metrics):
        hist = client.get_metric_history(run_id, key)
        if len(hist) > 1:
            history[key] = [{"step": m.step, "value": m.value} for m in sorted(hist, key=lambda m: m.step)]
    outputs = getattr(run, "outputs", None)
    model_outputs = [mo.model_id for mo in (getattr(outputs, "model_outputs", None) or [])]
    return {
        "run_id": run.info.run_id,
        "run_name": run.info.run_name,
        "experiment_id": run.info.experiment_id,
        "status": run.info.status,
        "artifact_uri": run.info.artifact_uri,
        "params": dict(sorted(run.data.params.items())),
        "metrics": dict(sorted(run.data.metrics.items())),  # latest value per key
        "metric_history": history,  # only keys with more than one value
        "tags": user_tags(run.data.tags),  # user tags only (no mlflow.*)
        "git_commit": run.data.tags.get("git_commit"),
        "datasets": datasets,
        "model_outputs": model_outputs,  # 3.x LoggedModel ids; [] on 2.x
    }


def describe_experiment(client: MlflowClient, exp_id: str) -> dict:
    e = client.get_experiment(exp_id)
    return {
        "experiment_id": e.experiment_id,
        "name": e.name,
        "artifact_location": e.artifact_location,
        "lifecycle_stage": e.lifecycle_stage,
        "tags": dict(sorted(e.tags.items())),
    }


def describe_model(client: MlflowClient, name: str, runs: dict) -> dict:
    rm = client.get_registered_model(name)
    versions = {}
    for mv in sorted(client.search_model_versions(f"name='{name}'"), key=lambda m: int(m.version)):
        mv = client.get_model_version(name, mv.version)  # search omits aliases
        run_id = mv.run_id or ""
        versions[str(mv.version)] = {
            "name": mv.name,
            "version": str(mv.version),
            "stage": mv.current_stage,
            "aliases": sorted(mv.aliases or []),
            "description": mv.description or "",
            "tags": dict(sorted((mv.tags or {}).items())),  # as returned (3.x adds LoggedModel tags)
            "run_id": run_id,
            "experiment_id": runs[run_id]["experiment_id"] if run_id in runs else None,
            "source": mv.source,
            # 3.x: the LoggedModel behind a models:/m-... source (REST has no model_id field)
            "logged_model_id": mv.source[len("models:/"):] if mv.source.startswith("models:/m-") else None,
            "status": mv.status,
            "download_uri": client.get_model_version_download_uri(name, mv.version),
        }
    return {
        "name": rm.name,
        "description": rm.description or "",
        "tags": dict(sorted((rm.tags or {}).items())),
        "aliases": dict(sorted((getattr(rm, "aliases", None) or {}).items())),
        "versions": versions,
    }


def describe_logged_model(client: MlflowClient, model_id: str) -> dict:
    lm = client.get_logged_model(model_id)
    return {
        "model_id": lm.model_id,
        "name": lm.name,
        "experiment_id": lm.experiment_id,
        "source_run_id": lm.source_run_id,
        "artifact_location": lm.artifact_location,
        "model_type": lm.model_type,
        "status": str(lm.status),
        "params": dict(sorted((lm.params or {}).items())),
        "metrics": [
            {
                "key": m.key,
                "value": m.value,
                "step": m.step,
                "dataset_name": m.dataset_name,
                "dataset_digest": m.dataset_digest,
                "run_id": m.run_id,
            }
            for m in (lm.metrics or [])
        ],
        "tags": user_tags(lm.tags or {}),
    }


# ------------------------------------------------------------------------ auth ----------
class Auth:
    def __init__(self, base: str):
        self.base = base.rstrip("/")
        self.admin = os.environ.get("MLFLOW_TRACKING_USERNAME", "")
        self.admin_pw = os.environ.get("MLFLOW_TRACKING_PASSWORD", "")
        if not self.admin or not self.admin_pw:
            raise SystemExit("--auth needs MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD (admin)")
        self.s = requests.Session()
        self.s.auth = (self.admin, self.admin_pw)
        self.calls = []

    def call(self, method: str, path: str, *, params=None, body=None, ok=(200,)):
        r = self.s.request(method, self.base + path, params=params, json=body, timeout=60)
        try:
            payload = r.json()
        except ValueError:
            payload = r.text
        self.calls.append({"method": method, "path": path, "params": params, "body": body, "status": r.status_code})
        if r.status_code not in ok:
            raise RuntimeError(f"{method} {path} {params or body} -> {r.status_code}: {r.text[:500]}")
        return r.status_code, payload


def env_user(role: str, default_user: str, default_pw: str) -> tuple[str, str]:
    return (
        os.environ.get(f"MLGATE_TEST_AUTH_{role}_USER", default_user),
        os.environ.get(f"MLGATE_TEST_AUTH_{role}_PASSWORD", default_pw),
    )


def setup_auth(base: str, good: str, bad: str, exp_id: str, models: list[str]) -> dict:
    a = Auth(base)
    users = {
        "reader": env_user("READER", "reader", "Reader-Passw0rd-123"),
        "nogrant": env_user("NOGRANT", "nogrant", "Nogrant-Passw0rd-123"),
        "manager": env_user("MANAGER", "manager", "Manager-Passw0rd-123"),
    }
    out_users = {"admin": {"username": a.admin, "password": a.admin_pw, "is_admin": True}}
    for role, (u, pw) in users.items():
        _, body = a.call("POST", "/api/2.0/mlflow/users/create", body={"username": u, "password": pw})
        out_users[role] = {"username": u, "password": pw, "id": body["user"]["id"], "is_admin": False}

    grants = [
        {"username": users["reader"][0], "resource_type": "registered_model", "resource_id": good, "permission": "READ"},
        {"username": users["reader"][0], "resource_type": "experiment", "resource_id": exp_id, "permission": "READ"},
        {"username": users["manager"][0], "resource_type": "registered_model", "resource_id": bad, "permission": "MANAGE"},
    ]
    view: dict = {}
    if MLFLOW_MAJOR >= 3:
        # 3.x: the per-resource 2.x endpoints are gone (404); RBAC-backed per-user grants
        for g in grants:
            a.call("POST", "/api/3.0/mlflow/users/permissions/grant", body=g)
        for role, (u, _) in [("admin", (a.admin, None)), *users.items()]:
            _, view[f"list:{role}"] = a.call("GET", "/api/3.0/mlflow/users/permissions/list", params={"username": u})
            for m in models:
                _, view[f"get:{role}:registered_model:{m}"] = a.call(
                    "GET",
                    "/api/3.0/mlflow/users/permissions/get",
                    params={"username": u, "resource_type": "registered_model", "resource_id": m},
                )
            _, view[f"get:{role}:experiment:{exp_id}"] = a.call(
                "GET",
                "/api/3.0/mlflow/users/permissions/get",
                params={"username": u, "resource_type": "experiment", "resource_id": exp_id},
            )
        endpoints = {
            "create_user": "POST /api/2.0/mlflow/users/create",
            "grant": "POST /api/3.0/mlflow/users/permissions/grant",
            "get": "GET /api/3.0/mlflow/users/permissions/get?username=&resource_type=&resource_id=",
            "list": "GET /api/3.0/mlflow/users/permissions/list?username=",
        }
    else:
        for g in grants:
            if g["resource_type"] == "registered_model":
                a.call(
                    "POST",
                    "/api/2.0/mlflow/registered-models/permissions/create",
                    body={"name": g["resource_id"], "username": g["username"], "permission": g["permission"]},
                )
            else:
                a.call(
                    "POST",
                    "/api/2.0/mlflow/experiments/permissions/create",
                    body={"experiment_id": g["resource_id"], "username": g["username"], "permission": g["permission"]},
                )
        for role, (u, _) in [("admin", (a.admin, None)), *users.items()]:
            # users/get embeds every explicit grant of the user (2.x)
            _, view[f"user:{role}"] = a.call("GET", "/api/2.0/mlflow/users/get", params={"username": u})
        # a few per-resource reads (each 2.x basic-auth request costs ~200 ms of hashing)
        for role, kind, rid in (
            ("reader", "registered_model", good),
            ("reader", "experiment", exp_id),
            ("nogrant", "registered_model", good),  # 404: no explicit grant, default applies
            ("manager", "registered_model", bad),
        ):
            u = users[role][0]
            if kind == "registered_model":
                path, params = "/api/2.0/mlflow/registered-models/permissions/get", {"name": rid, "username": u}
            else:
                path, params = "/api/2.0/mlflow/experiments/permissions/get", {"experiment_id": rid, "username": u}
            status, body = a.call("GET", path, params=params, ok=(200, 404))
            view[f"get:{role}:{kind}:{rid}"] = {"status": status, "body": body}
        endpoints = {
            "create_user": "POST /api/2.0/mlflow/users/create",
            "grant_registered_model": "POST /api/2.0/mlflow/registered-models/permissions/create",
            "grant_experiment": "POST /api/2.0/mlflow/experiments/permissions/create",
            "get_registered_model": "GET /api/2.0/mlflow/registered-models/permissions/get?name=&username=",
            "get_experiment": "GET /api/2.0/mlflow/experiments/permissions/get?experiment_id=&username=",
            "user": "GET /api/2.0/mlflow/users/get?username=",
        }
    return {
        "default_permission": "NO_PERMISSIONS",
        "users": out_users,
        "grants": grants,
        # the creator (admin) also holds MANAGE on everything it created (implicit grant)
        "endpoints": endpoints,
        "server_view": view,
    }


# ------------------------------------------------------------------------ main ----------
def bulk(a) -> int:
    """A registry of N versions for `scripts/bench bulk`: one logged model (a run with params,
    metrics and a signature), registered 20 times per model under PREFIX-bulk-000, -001, …;
    every tenth model has no description (its versions fail the baseline). Writes
    {"prefix", "versions", "models"} to --out."""
    from concurrent.futures import ThreadPoolExecutor

    from mlflow.models.signature import ModelSignature
    from mlflow.types.schema import ColSpec, Schema

    client = MlflowClient(tracking_uri=a.tracking_uri, registry_uri=a.tracking_uri)
    exp_id = client.create_experiment(f"{a.prefix}-bulk")
    with mlflow.start_run(experiment_id=exp_id, run_name="bulk-source") as run:
        mlflow.log_params({"C": "1.0", "features": "3"})
        mlflow.log_metrics({"auc": 0.9, "log_loss": 0.3})
        info = mlflow.pyfunc.log_model(
            python_model=ConstantModel(),
            signature=ModelSignature(inputs=Schema([ColSpec("double", "x")]), outputs=Schema([ColSpec("long")])),
            input_example={"x": [1.0]},
            pip_requirements=pip_reqs("cloudpickle"),
            **model_kwargs("model"),
        )
    source = info.model_uri if MLFLOW_MAJOR >= 3 else f"{run.info.artifact_uri}/model"
    extra = {"model_id": info.model_id} if MLFLOW_MAJOR >= 3 else {}
    per_model = 20
    names = [f"{a.prefix}-bulk-{i:03d}" for i in range((a.bulk + per_model - 1) // per_model)]
    for i, name in enumerate(names):
        client.create_registered_model(name, description=None if i % 10 == 9 else "Bulk benchmark model.")

    def register(name):
        n = min(per_model, a.bulk - names.index(name) * per_model)
        for _ in range(n):
            client.create_model_version(name, source=source, run_id=run.info.run_id, **extra)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(register, names))
    log(f"bulk: {a.bulk} versions of {len(names)} models registered")
    with open(a.out, "w") as f:
        json.dump({"prefix": f"{a.prefix}-bulk-", "versions": a.bulk, "models": len(names)}, f)
        f.write("\n")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tracking-uri", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--prefix", default="lab")
    ap.add_argument("--auth", action="store_true", help="basic-auth server: create users and grants")
    ap.add_argument(
        "--bulk",
        type=int,
        default=0,
        metavar="N",
        help="only register N versions (20 per model, PREFIX-bulk-NNN, a few of them bad) for the bulk benchmark",
    )
    a = ap.parse_args()

    mlflow.set_tracking_uri(a.tracking_uri)
    if a.bulk:
        return bulk(a)
    mlflow.set_registry_uri(a.tracking_uri)
    client = MlflowClient(tracking_uri=a.tracking_uri, registry_uri=a.tracking_uri)
    log(f"mlflow {mlflow.__version__} client -> {a.tracking_uri} (import took {time.time() - T0:.1f}s)")

    exp_name = f"{a.prefix}-credit-scoring"
    good = f"{a.prefix}-credit-model"
    bad = f"{a.prefix}-bad-model"
    runs_uri = f"{a.prefix}-runs-uri-model"

    if client.get_experiment_by_name(exp_name) is not None:
        print(f"experiment {exp_name} already exists; use another --prefix", file=sys.stderr)
        return 2
    exp_id = client.create_experiment(
        exp_name,
        tags={
            "mlflow.note.content": "Credit scoring experiments (lab data, synthetic).",
            "team": "risk-ml",
            "cost_center": "cc-1234",
        },
    )

    # ---- GOOD ----
    client.create_registered_model(
        good,
        tags={"owner": "alice@example.com", "domain": "credit", "pii": "false"},
        description="Logistic-regression credit-default classifier (synthetic lab data).",
    )
    run1, info1 = train_and_log(exp_id, good, "train-v1", 0.5, 1)
    log(f"train-v1 {run1} logged")
    run2, info2 = train_and_log(exp_id, good, "train-v2", 1.0, 2)
    log(f"train-v2 {run2} logged")
    for v, run_id in (("1", run1), ("2", run2)):
        client.update_model_version(good, v, description=f"Version {v}, trained by run {run_id}.")
        client.set_model_version_tag(good, v, "validation_status", "approved" if v == "2" else "pending")
        client.set_model_version_tag(good, v, "reviewed_by", "bob@example.com")
    client.set_registered_model_alias(good, "champion", "2")
    client.set_registered_model_alias(good, "challenger", "1")
    client.transition_model_version_stage(good, "1", "Staging")
    client.transition_model_version_stage(good, "2", "Production")

    # ---- BAD ----
    with mlflow.start_run(experiment_id="0", run_name="quick-hack") as run:
        bad_info = mlflow.pyfunc.log_model(
            python_model=ConstantModel(), pip_requirements=pip_reqs("cloudpickle"), **model_kwargs("model")
        )
        bad_run = run.info.run_id
    client.create_registered_model(bad)
    client.create_model_version(
        bad,
        source=bad_info.model_uri if MLFLOW_MAJOR >= 3 else f"{run.info.artifact_uri}/model",
        run_id=bad_run,
        **({"model_id": bad_info.model_id} if MLFLOW_MAJOR >= 3 else {}),
    )
    # external artifact location, no run: accepted for s3:// (not for mlflow-artifacts:/)
    client.create_model_version(bad, source="s3://lab-bucket/legacy/credit-model")
    client.transition_model_version_stage(bad, "1", "Production")
    client.set_registered_model_alias(bad, "champion", "1")
    log(f"bad model done (run {bad_run})")

    # ---- runs:/ source kept verbatim ----
    client.create_registered_model(runs_uri)
    client.create_model_version(runs_uri, f"runs:/{run1}/model", run1)

    # ---- one run, two models: `good` with a signature, `bad` without ----
    # runs:/<run>/bad must audit `bad` (MLflow 3 keeps both as logged models of the run, so
    # nothing sits at <artifact_uri>/bad), never its neighbour.
    from mlflow.models.signature import ModelSignature
    from mlflow.types.schema import ColSpec, Schema

    with mlflow.start_run(experiment_id=exp_id, run_name="two-models") as run:
        mlflow.log_param("variant", "twin")
        mlflow.log_metric("accuracy", 0.5)
        signature = ModelSignature(inputs=Schema([ColSpec("double", "x")]))
        mlflow.pyfunc.log_model(
            python_model=ConstantModel(),
            signature=signature,
            pip_requirements=pip_reqs("cloudpickle"),
            **model_kwargs("good"),
        )
        mlflow.pyfunc.log_model(
            python_model=ConstantModel(), pip_requirements=pip_reqs("cloudpickle"), **model_kwargs("bad")
        )
        two_models_run = run.info.run_id
    log(f"two-models run {two_models_run} logged")

    # ---- promotion: a champion and three candidates, one run each ----
    # The promote tests register fresh models from these sources (one model per test, so
    # tests that move aliases never disturb each other); `lab-promo-model` is the same set
    # registered once, for trying `mlgate promote` by hand.
    promotion = {}
    columns = {
        "age": ColSpec("long", "age"),
        "income": ColSpec("double", "income"),
        "region": ColSpec("string", "region"),
        "tenure": ColSpec("long", "tenure", required=False),
    }
    candidates = (
        # name, metrics, params, input columns
        ("champion", {"auc": 0.90, "log_loss": 0.30}, {"C": "1.0", "features": "3"}, ("age", "income", "region")),
        ("good", {"auc": 0.898, "log_loss": 0.29}, {"C": "0.8", "features": "4"}, ("age", "income", "region", "tenure")),
        ("worse", {"auc": 0.85, "log_loss": 0.41}, {"C": "5.0", "features": "3"}, ("age", "income", "region")),
        ("drops-column", {"auc": 0.93, "log_loss": 0.25}, {"C": "1.0", "features": "2"}, ("age", "region")),
    )
    for label, metrics, params, inputs in candidates:
        with mlflow.start_run(experiment_id=exp_id, run_name=f"promo-{label}") as run:
            mlflow.log_params(params)
            mlflow.log_metrics(metrics)
            info = mlflow.pyfunc.log_model(
                python_model=ConstantModel(),
                signature=ModelSignature(
                    inputs=Schema([columns[c] for c in inputs]),
                    outputs=Schema([ColSpec("long", "default")]),
                ),
                pip_requirements=pip_reqs("cloudpickle"),
                **model_kwargs("model"),
            )
        promotion[label] = {
            "run_id": run.info.run_id,
            "source": info.model_uri if MLFLOW_MAJOR >= 3 else f"{run.info.artifact_uri}/model",
            "model_id": getattr(info, "model_id", None) if MLFLOW_MAJOR >= 3 else None,
        }
    promo = f"{a.prefix}-promo-model"
    client.create_registered_model(promo, description="Champion and candidates for `mlgate promote`.")
    for label, _, _, _ in candidates:
        p = promotion[label]
        client.create_model_version(
            promo, source=p["source"], run_id=p["run_id"], **({"model_id": p["model_id"]} if p["model_id"] else {})
        )
    client.set_registered_model_alias(promo, "champion", "1")
    client.transition_model_version_stage(promo, "1", "Production")
    log(f"promotion runs logged, {promo} registered")

    # ---- re-read everything through the client ----
    runs = {r: describe_run(client, r) for r in (run1, run2, bad_run)}
    exps = {e: describe_experiment(client, e) for e in sorted({r["experiment_id"] for r in runs.values()})}
    models = {m: describe_model(client, m, runs) for m in (good, bad, runs_uri)}
    logged_ids = []
    if MLFLOW_MAJOR >= 3:
        for mid in (getattr(info1, "model_id", None), getattr(info2, "model_id", None), getattr(bad_info, "model_id", None)):
            if mid and mid not in logged_ids:
                logged_ids.append(mid)
    logged = {mid: describe_logged_model(client, mid) for mid in logged_ids}

    auth = None
    if a.auth:
        auth = setup_auth(a.tracking_uri, good, bad, exp_id, [good, bad, runs_uri])
        log("users and grants done")

    ids = {
        "mlflow_version": mlflow.__version__,
        "tracking_uri": a.tracking_uri,
        "good_model": good,
        "bad_model": bad,
        "runs_uri_model": runs_uri,
        "experiment_id": exp_id,
        "experiment_name": exp_name,
        "run_ids": {"train-v1": run1, "train-v2": run2, "quick-hack": bad_run},
        "two_models_run": two_models_run,
        "promotion": promotion,
        "promo_model": promo,
        "git_commit": GIT_COMMIT,
        "models": models,
        "runs": runs,
        "experiments": exps,
        "logged_models": logged,  # {} on 2.x
        "auth": auth,  # null unless --auth
        "populate_seconds": round(time.time() - T0, 2),
    }
    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(ids, f, indent=2)
        f.write("\n")
    os.replace(tmp, a.out)
    log(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

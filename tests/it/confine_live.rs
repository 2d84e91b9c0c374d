//! The confused deputy on real MLflow servers (3.17 and 2.22): a version whose MLmodel names
//! its input example outside the model's files (`../secret.json` and its percent-encoded,
//! backslashed and absolute forms). A file `secret.json` sits in the run's artifacts beside the
//! model, where `..` would reach it. Through a forwarding proxy that logs every request,
//! mlgate's reads stay under the model's directory (`<run artifacts>/model`) for a plain `check
//! models:/NAME/1`, for `runs:/RUN/model` and for `--all-models`, and the snapshot (or the
//! results' gather errors) names the refused path. Both servers store artifacts the same way
//! (`--serve-artifacts`, `mlflow-artifacts:/<experiment>/<run>/artifacts`) and mlgate sends
//! them the same requests. The logged-model leg (`models:/m-…`) runs on MLflow 3 only: 2.x has
//! no logged models.

use std::path::Path;

use serde_json::{json, Value};

use crate::live::{clean, server};
use crate::race_proxy::Proxy;

/// The hostile `artifact_path`s as YAML, and the path each names once read.
const HOSTILE: [(&str, &str); 5] = [
    ("../secret.json", "../secret.json"),
    ("'%2e%2e/secret.json'", "%2e%2e/secret.json"),
    ("'..%2Fsecret.json'", "..%2Fsecret.json"),
    (r"'..\secret.json'", r"..\secret.json"),
    ("/etc/passwd", "/etc/passwd"),
];

fn blocking<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// A request to the server's REST API; the answer as JSON.
fn call(uri: &str, method: &reqwest::Method, path: &str, body: &str) -> Value {
    blocking(async {
        let response = reqwest::Client::new()
            .request(method.clone(), format!("{uri}{path}"))
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("server answers");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        assert!(status.is_success(), "{method} {path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    })
}

/// A run holding `model/MLmodel` (its input example at `yaml`) and `secret.json` beside the
/// model, and a registered model `name` whose version 1 comes from it. Returns the run id.
fn hostile_version(uri: &str, name: &str, yaml: &str) -> String {
    let post = |path: &str, body: Value| {
        call(
            uri,
            &reqwest::Method::POST,
            &format!("/api/2.0/mlflow/{path}"),
            &body.to_string(),
        )
    };
    let run = post("runs/create", json!({ "experiment_id": "0" }));
    let run_id = run["run"]["info"]["run_id"].as_str().unwrap().to_string();
    let root = run["run"]["info"]["artifact_uri"]
        .as_str()
        .unwrap()
        .to_string();
    let under = root
        .strip_prefix("mlflow-artifacts:/")
        .expect("the server proxies artifacts")
        .trim_matches('/')
        .to_string();
    let mlmodel = format!(
        "artifact_path: model\nflavors:\n  python_function:\n    loader_module: mlflow.pyfunc.model\nsaved_input_example_info:\n  artifact_path: {yaml}\n  type: json_object\n"
    );
    for (file, text) in [
        ("model/MLmodel", mlmodel.as_str()),
        ("secret.json", "{\"secret\": \"another team's\"}"),
    ] {
        call(
            uri,
            &reqwest::Method::PUT,
            &format!("/api/2.0/mlflow-artifacts/artifacts/{under}/{file}"),
            text,
        );
    }
    post("registered-models/create", json!({ "name": name }));
    post(
        "model-versions/create",
        json!({ "name": name, "source": format!("{root}/model"), "run_id": run_id }),
    );
    run_id
}

/// Every file read or listing the proxy saw stays under `root` (a run's
/// `<run>/artifacts/model`, or a logged model's `models/<id>/artifacts`), and nothing named the
/// secret. Lines are checked once percent-decoded: the proxy's listing names its directory in
/// a query (`mlflow-artifacts/artifacts?path=0%2F<run>%2F…`), and `%2e%2e` is `..` to the
/// server. The registry's `get-artifact` is relative to the version itself (MLflow 2.22 and 3.17
/// both answer it), so only its `path` is checked, by the `..` test.
fn stayed_inside(proxy: &Proxy, root: &str, named: &str) {
    let mut reads = 0;
    for line in proxy.requests() {
        let lower = line.to_ascii_lowercase();
        assert!(!lower.contains("%2e"), "{named}: {line}");
        let decoded = percent_encoding::percent_decode_str(&lower).decode_utf8_lossy();
        assert!(
            !decoded.contains("secret") && !decoded.contains("passwd") && !decoded.contains(".."),
            "{named}: {line}"
        );
        if decoded.contains("/mlflow-artifacts/artifacts") {
            reads += 1;
            assert!(decoded.contains(root), "{named}: {line}");
        } else if decoded.contains("/model-versions/get-artifact?") {
            reads += 1;
        }
    }
    assert!(reads > 0, "{named}: the model was read");
}

/// The refused path is named in an `input_example` entry of `errors`.
fn names_the_refusal(errors: &Value, named: &str) {
    let found = errors.as_array().into_iter().flatten().any(|e| {
        e["section"] == "input_example"
            && e["message"]
                .as_str()
                .is_some_and(|m| m.contains(&format!("`{}`", named.escape_debug())))
    });
    assert!(found, "{named}: {errors}");
}

fn snapshot(uri: &str, reference: &str, dir: &Path) -> Value {
    let file = dir.join("snap.json");
    let out = clean()
        .args(["snapshot", reference, "--tracking-uri", uri, "-o"])
        .arg(&file)
        .output()
        .unwrap();
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|_| panic!("{reference}: {}", String::from_utf8_lossy(&out.stderr)));
    serde_json::from_str(&text).unwrap()
}

/// Each hostile form on the server named by `key` (`MLFLOW3`, `MLFLOW2`): a plain `check
/// models:/NAME/1`, `runs:/RUN/model` and `--all-models` refuse it and read nothing outside
/// `<run>/artifacts/model`.
fn refused_on_every_reference(key: &str) {
    let Some(s) = server(key) else { return };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    for (i, (yaml, named)) in HOSTILE.iter().enumerate() {
        let name = format!("confine-{}-{nanos}-{i}", std::process::id());
        let run_id = hostile_version(&s.uri, &name, yaml);
        let dir = tempfile::tempdir().unwrap();
        for reference in [format!("models:/{name}/1"), format!("runs:/{run_id}/model")] {
            let proxy = Proxy::start(&s.uri, None);
            let snap = snapshot(&proxy.uri, &reference, dir.path());
            names_the_refusal(&snap["errors"], named);
            assert!(snap["extra"].get("input_example").is_none(), "{reference}");
            assert_eq!(
                snap["mlflow_model"]["artifact_path"], "model",
                "{reference}"
            );
            stayed_inside(&proxy, &format!("{run_id}/artifacts/model"), named);
        }
        // --all-models: the bulk path reads the files its own way.
        audit_refuses(&s.uri, &name, named, &format!("{run_id}/artifacts/model"));
    }
}

#[test]
fn mlflow3_a_hostile_input_example_is_refused_on_every_reference() {
    refused_on_every_reference("MLFLOW3");
}

#[test]
fn mlflow2_a_hostile_input_example_is_refused_on_every_reference() {
    refused_on_every_reference("MLFLOW2");
}

/// `check --all-models` of model `name` through a logging proxy: its JSON names the refused
/// path `named`, and no request left `root`.
fn audit_refuses(uri: &str, name: &str, named: &str, root: &str) {
    let proxy = Proxy::start(uri, None);
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let out = clean()
        .args([
            "check",
            "--all-models",
            "--no-config",
            "-q",
            "--tracking-uri",
        ])
        .arg(&proxy.uri)
        .args(["--filter", &format!("name = '{name}'"), "--json"])
        .arg(&json)
        .output()
        .unwrap();
    let text = std::fs::read_to_string(&json)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    assert!(text.contains(name), "{text}");
    // The refused path as the JSON text holds the message: `escape_debug`ged, then escaped.
    let shown = serde_json::to_string(&format!("`{}`", named.escape_debug())).unwrap();
    assert!(
        text.contains(shown.trim_matches('"')),
        "--all-models names {named}: {text}"
    );
    stayed_inside(&proxy, root, named);
}

/// An MLflow 3 logged model holding the hostile MLmodel, and a version `name`/1 registered
/// from `models:/<id>`. Returns the model id. MLflow 3 only: logged models (`models:/m-…`,
/// the `logged-models` API) do not exist on 2.x, so this leg has no `mlflow2_` twin.
fn hostile_logged_model(uri: &str, name: &str, yaml: &str) -> String {
    let post = |path: &str, body: Value| {
        call(
            uri,
            &reqwest::Method::POST,
            &format!("/api/2.0/mlflow/{path}"),
            &body.to_string(),
        )
    };
    let run = post("runs/create", json!({ "experiment_id": "0" }));
    let run_id = run["run"]["info"]["run_id"].as_str().unwrap();
    let model = post(
        "logged-models",
        json!({ "experiment_id": "0", "name": "model", "source_run_id": run_id }),
    );
    let id = model["model"]["info"]["model_id"]
        .as_str()
        .unwrap()
        .to_string();
    let root = model["model"]["info"]["artifact_uri"].as_str().unwrap();
    let under = root
        .strip_prefix("mlflow-artifacts:/")
        .expect("the server proxies artifacts")
        .trim_matches('/');
    let mlmodel = format!(
        "artifact_path: model\nmodel_id: {id}\nflavors:\n  python_function:\n    loader_module: mlflow.pyfunc.model\nsaved_input_example_info:\n  artifact_path: {yaml}\n  type: json_object\n"
    );
    // `secret.json` beside the model's `artifacts/` directory, where `..` would reach it.
    let models_dir = under.trim_end_matches("/artifacts");
    for (path, text) in [
        (format!("{under}/MLmodel"), mlmodel.as_str()),
        (
            format!("{models_dir}/secret.json"),
            "{\"secret\": \"another team's\"}",
        ),
    ] {
        call(
            uri,
            &reqwest::Method::PUT,
            &format!("/api/2.0/mlflow-artifacts/artifacts/{path}"),
            text,
        );
    }
    post("registered-models/create", json!({ "name": name }));
    post(
        "model-versions/create",
        json!({ "name": name, "source": format!("models:/{id}"), "run_id": run_id, "model_id": id }),
    );
    id
}

#[test]
fn mlflow3_a_hostile_input_example_of_a_logged_model_is_refused() {
    let Some(s) = server("MLFLOW3") else { return };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    for (i, (yaml, named)) in HOSTILE.iter().enumerate() {
        let name = format!("confine-lm-{}-{nanos}-{i}", std::process::id());
        let id = hostile_logged_model(&s.uri, &name, yaml);
        let dir = tempfile::tempdir().unwrap();
        for reference in [format!("models:/{id}"), format!("models:/{name}/1")] {
            let proxy = Proxy::start(&s.uri, None);
            let snap = snapshot(&proxy.uri, &reference, dir.path());
            names_the_refusal(&snap["errors"], named);
            assert_eq!(snap["mlflow_model"]["model_id"], id.as_str(), "{reference}");
            stayed_inside(&proxy, &format!("models/{id}/artifacts"), named);
        }
        audit_refuses(&s.uri, &name, named, &format!("models/{id}/artifacts"));
    }
}

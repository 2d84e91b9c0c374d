//! The gather layer against the Databricks mock: fields no Databricks release sends yet land in
//! the snapshot (workspace registry and Unity Catalog), a signed download that breaks off is a
//! recorded error (never an empty file), and versions gathered through one context share the
//! reads of their registered model, experiment and ACLs.

use mlgate::client::auth::Auth;
use mlgate::client::{Client, Config};
use mlgate::gather::{self, Context};
use mlgate::model_ref::ModelRef;
use mlgate::snapshot::Backend;
use serde_json::Value;

use super::mock::{Mock, Options, TOKEN};
use super::{json, with_token};
use crate::mock_http::{UNKNOWN_FIELD, UNKNOWN_VALUE};

fn snapshot(mock: &Mock, reference: &str, extra_env: &[(&str, &str)]) -> (i32, Value) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.json");
    let output = with_token(mock, dir.path())
        .envs(extra_env.iter().copied())
        .args(["snapshot", reference, "-o"])
        .arg(&out)
        .output()
        .unwrap();
    let code = output.status.code().unwrap_or(-1);
    assert!(
        out.exists(),
        "no snapshot written: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    (code, json(&out))
}

/// The unknown field, at a JSON pointer of the snapshot.
fn kept(snap: &Value, pointer: &str) -> bool {
    snap.pointer(&format!("{pointer}/{UNKNOWN_FIELD}")) == Some(&Value::from(UNKNOWN_VALUE))
}

#[test]
fn workspace_answers_with_unknown_fields_keep_them_in_the_snapshot() {
    let mock = Mock::start(Options {
        unknown_fields: true,
        ..Options::default()
    });
    let (_, snap) = snapshot(&mock, "models:/dolly3b/1", &[]);
    for pointer in [
        "/registered_model",
        "/model_version",
        "/run",
        "/run/info",
        "/run/data",
        "/experiment",
    ] {
        assert!(
            kept(&snap, pointer),
            "{pointer} lost the unknown field: {snap:#}"
        );
    }
    assert!(
        snap["permissions"]["registered_model"]["raw"][UNKNOWN_FIELD] == UNKNOWN_VALUE,
        "the ACL is kept as returned"
    );
}

#[test]
fn unity_catalog_answers_with_unknown_fields_keep_them_in_the_snapshot() {
    let mock = Mock::start(Options {
        unknown_fields: true,
        ..Options::default()
    });
    let (_, snap) = snapshot(&mock, "models:/main.ml.churn/3", &[]);
    for pointer in [
        "/registered_model",
        "/model_version",
        "/run/info",
        "/experiment",
    ] {
        assert!(
            kept(&snap, pointer),
            "{pointer} lost the unknown field: {snap:#}"
        );
    }
    assert_eq!(snap["model_version"]["name"], "main.ml.churn");
    assert_eq!(
        snap["model_version"]["model_name"], "churn",
        "UC's own fields are kept beside MLflow's"
    );
}

#[test]
fn a_signed_download_that_breaks_off_is_an_error_not_an_empty_file() {
    let mock = Mock::start(Options {
        cut_signed_downloads: true,
        ..Options::default()
    });
    let (_, snap) = snapshot(&mock, "models:/dolly3b/1", &[]);
    assert!(snap.get("mlflow_model").is_none(), "{snap:#}");
    assert!(
        snap.get("input_example").is_none(),
        "no empty input example"
    );
    let errors = snap["errors"].as_array().unwrap();
    let mlmodel = errors
        .iter()
        .find(|e| e["section"] == "mlflow_model")
        .expect("the MLmodel download is recorded as failed");
    assert!(
        mlmodel["message"].as_str().unwrap().contains("cut short"),
        "{mlmodel}"
    );
}

#[test]
fn versions_gathered_through_one_context_share_model_experiment_and_acl_reads() {
    let mock = Mock::start(Options::default());
    let env = |k: &str| (k == "MLFLOW_HTTP_REQUEST_MAX_RETRIES").then(|| "0".to_string());
    let config = Config::with_auth(
        "databricks".into(),
        mock.url.clone(),
        Auth::Bearer(TOKEN.into()),
        &env,
    );
    let cx = Context::new(Client::new(config).unwrap());
    let reference = ModelRef::parse("models:/dolly3b/1").unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (a, b) = runtime.block_on(async {
        let a = gather::gather(&cx, Backend::DatabricksWorkspace, &reference, "t".into()).await;
        let b = gather::gather(&cx, Backend::DatabricksWorkspace, &reference, "t".into()).await;
        (a.unwrap(), b.unwrap())
    });
    assert_eq!(a.registered_model, b.registered_model);
    assert_eq!(a.permissions, b.permissions);
    for (call, times) in [
        ("/databricks/registered-models/get", 1),
        ("/experiments/get", 1),
        ("/permissions/registered-models/", 2), // the ACL and its levels, once each
        ("/model-versions/get?", 2),            // per version: never cached
        ("/runs/get", 2),
    ] {
        assert_eq!(mock.requested(call), times, "{call}");
    }
}

#[test]
fn a_workspace_version_whose_registry_files_fail_is_read_from_its_source_run() {
    let mock = Mock::start(Options {
        registry_files_missing: true,
        ..Options::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("s.json");
    with_token(&mock, dir.path())
        .args(["snapshot", "models:/dolly3b/1", "-o"])
        .arg(&snap)
        .assert()
        .code(3); // the notebook ACL, as always on this fixture
    let s: Value = serde_json::from_str(&std::fs::read_to_string(&snap).unwrap()).unwrap();
    let errors = s["errors"].as_array().unwrap();
    assert!(
        errors.iter().all(|e| e["section"] != "mlflow_model"
            && e["section"] != "input_example"
            && e["section"] != "artifacts.files"),
        "{errors:?}"
    );
    assert_eq!(
        s["mlflow_model"]["flavors"]["transformers"]["task"],
        "text-generation"
    );
    assert!(s["input_example"].is_object() || s["input_example"].is_array());
    assert_eq!(
        s["artifacts"]["size_bytes"], 11_239_015_445_u64,
        "the same listing, through the run's artifacts"
    );
    assert_eq!(
        mock.requested("POST /api/2.0/mlflow/artifacts/credentials-for-read"),
        2
    );
    assert_eq!(mock.requested("GET /_signed/run/dolly3b/"), 2);
}

#[test]
fn when_both_routes_are_refused_the_entry_says_why_for_each() {
    let mock = Mock::start(Options {
        registry_files_missing: true,
        run_artifacts_refused: true,
        ..Options::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("s.json");
    with_token(&mock, dir.path())
        .args(["snapshot", "models:/dolly3b/1", "-o"])
        .arg(&snap)
        .assert()
        .code(3);
    let s: Value = serde_json::from_str(&std::fs::read_to_string(&snap).unwrap()).unwrap();
    let entry = s["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["section"] == "mlflow_model")
        .cloned()
        .unwrap();
    assert_eq!(
        entry["http_status"], 404,
        "the registry's own refusal first: {entry}"
    );
    let message = entry["message"].as_str().unwrap();
    assert!(
        message.contains(&format!(
            "then from the source run's artifacts: POST {}/api/2.0/mlflow/artifacts/credentials-for-read failed",
            mock.url
        ))
            && message.contains("HTTP 403 PERMISSION_DENIED")
            && message.contains("'View' experiment"),
        "{message}"
    );
}

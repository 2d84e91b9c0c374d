//! The gather layer against replayed open-source MLflow captures and small mock servers:
//! fields a newer MLflow would add land in the snapshot and the report, and the client's retry
//! policy tells reads (retried) from writes that may have happened (never resent blindly).

use mlgate::client::{Client, Config, Retry, WriteMethod};
use serde::de::IgnoredAny;
use serde_json::Value;

use crate::mlgate;
use crate::mock_http::{Response, Server, UNKNOWN_FIELD, UNKNOWN_VALUE};
use crate::oss_mock;

#[test]
fn oss_answers_with_unknown_fields_keep_them_in_snapshot_and_report() {
    let server = oss_mock::start(true);
    let dir = tempfile::tempdir().unwrap();
    let (snap, report) = (dir.path().join("s.json"), dir.path().join("r.md"));
    let reference = format!("models:/{}/1", oss_mock::MODEL);
    for (command, out) in [("snapshot", &snap), ("report", &report)] {
        mlgate()
            .env_remove("MLFLOW_TRACKING_USERNAME")
            .env_remove("MLFLOW_TRACKING_TOKEN")
            .args([command, &reference, "--tracking-uri", &server.url, "-o"])
            .arg(out)
            .assert()
            .code(0);
    }
    let snap: Value = serde_json::from_str(&std::fs::read_to_string(&snap).unwrap()).unwrap();
    for pointer in [
        "/registered_model",
        "/model_version",
        "/run",
        "/run/info",
        "/run/data",
        "/run/inputs",
        "/experiment",
    ] {
        assert_eq!(
            snap.pointer(&format!("{pointer}/{UNKNOWN_FIELD}")),
            Some(&Value::from(UNKNOWN_VALUE)),
            "{pointer} lost the unknown field"
        );
    }
    let report = std::fs::read_to_string(&report).unwrap();
    assert!(report.contains(UNKNOWN_FIELD), "the report shows it too");
}

/// A server that answers every request with `status`, counting them.
fn always(status: u16) -> Server {
    Server::start(move |_, _| {
        Response::json(
            status,
            r#"{"error_code": "TEMPORARILY_UNAVAILABLE", "message": "busy"}"#,
        )
    })
}

fn client(url: &str) -> Client {
    let env = |k: &str| match k {
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES" => Some("2".to_string()),
        "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR" => Some("0".to_string()),
        _ => None,
    };
    Client::new(Config::mlflow(url.to_string(), &env)).unwrap()
}

fn run<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

#[test]
fn reads_are_retried_and_writes_that_may_have_happened_are_not() {
    let server = always(503);
    let c = client(&server.url);
    let read = run(c.get_json("/api/2.0/mlflow/runs/get", &[("run_id", "r")]));
    assert_eq!(read.unwrap_err().status(), Some(503));
    assert_eq!(
        server.requested("GET /api/2.0/mlflow/runs/get"),
        3,
        "1 + 2 retries"
    );

    let body = serde_json::json!({"name": "m", "version": "1", "stage": "Production"});
    let path = "/api/2.0/mlflow/model-versions/transition-stage";
    let once = run(c.write::<IgnoredAny>(WriteMethod::Post, path, &body, Retry::Once));
    assert_eq!(once.unwrap_err().status(), Some(503));
    assert_eq!(server.requested("POST"), 1, "a 503 may have applied it");

    let alias = "/api/2.0/mlflow/registered-models/alias";
    let upsert = run(c.write::<IgnoredAny>(WriteMethod::Post, alias, &body, Retry::Idempotent));
    assert!(upsert.is_err());
    assert_eq!(
        server.requested(&format!("POST {alias}")),
        3,
        "an upsert is safe to resend"
    );
}

#[test]
fn a_rate_limited_write_is_resent_because_it_was_not_run() {
    let server = always(429);
    let c = client(&server.url);
    let path = "/api/2.0/mlflow/model-versions/transition-stage";
    let body = serde_json::json!({});
    let result = run(c.write::<IgnoredAny>(WriteMethod::Post, path, &body, Retry::Once));
    assert_eq!(result.unwrap_err().status(), Some(429));
    assert_eq!(server.requested("POST"), 3);
}

#[test]
fn write_bodies_go_as_json_also_on_delete() {
    let server = Server::start(|r, _| {
        Response::json(
            200,
            serde_json::json!({"method": r.method, "body": r.body, "type": r.headers.get("content-type")}).to_string(),
        )
    });
    let c = client(&server.url);
    let echo: Value = run(c.write(
        WriteMethod::Delete,
        "/api/2.0/mlflow/registered-models/alias",
        &serde_json::json!({"name": "m", "alias": "champion"}),
        Retry::Idempotent,
    ))
    .unwrap();
    assert_eq!(echo["method"], "DELETE");
    assert_eq!(echo["type"], "application/json");
    assert_eq!(
        serde_json::from_str::<Value>(echo["body"].as_str().unwrap()).unwrap()["alias"],
        "champion"
    );
}

#[test]
fn a_write_a_backend_cannot_make_is_refused_without_a_request() {
    use mlgate::gather::{self, Context, Write, WriteError};
    use mlgate::snapshot::Backend;
    let server = always(500);
    let cx = Context::new(client(&server.url));
    let write = Write::TransitionStage {
        name: "main.ml.churn",
        version: "3",
        stage: "Production",
        archive_existing: true,
    };
    let result = run(gather::write(&cx, Backend::UnityCatalog, &write));
    assert!(
        matches!(&result, Err(WriteError::Unsupported { .. })),
        "{result:?}"
    );
    assert!(result.unwrap_err().to_string().contains("use an alias"));
    assert_eq!(server.requests.lock().unwrap().len(), 0);
}

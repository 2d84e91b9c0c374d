//! `mlgate promote` against the real MLflow 3.17 and 2.22 servers. Each test registers its
//! own model from the lab's promotion runs (champion, good, worse, drops-column: see
//! `scripts/live/populate.py`), so tests that move aliases and stages never see each other.

use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{json, Value};

pub(super) use crate::live::{clean, server, Server};

pub(super) const POLICY: &str = "tests/fixtures/promote/promotion.toml";

/// A fresh registered model whose versions 1.. come from the named promotion runs.
pub(super) fn register(s: &Server, key: &str, test: &str, versions: &[&str]) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "promote-{test}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    );
    call(
        s,
        "POST",
        "registered-models/create",
        &json!({ "name": name }),
    );
    for label in versions {
        let run = &s.ids["promotion"][label];
        let mut body = json!({
            "name": name,
            "source": run["source"],
            "run_id": run["run_id"],
        });
        if let Some(id) = run["model_id"].as_str() {
            body["model_id"] = json!(id);
        }
        call(s, "POST", "model-versions/create", &body);
    }
    let _ = key;
    name
}

/// One REST call to the server; panics unless it answers 200.
pub(super) fn call(s: &Server, method: &str, path: &str, body: &Value) -> Value {
    let url = format!("{}/api/2.0/mlflow/{path}", s.uri);
    let out = std::process::Command::new("curl")
        .args([
            "-sS",
            "-X",
            method,
            "-H",
            "Content-Type: application/json",
            "-w",
            "\n%{http_code}",
            "--data",
        ])
        .arg(body.to_string())
        .arg(&url)
        .output()
        .expect("curl");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (answer, status) = text.rsplit_once('\n').unwrap_or((&text, ""));
    assert_eq!(status, "200", "{method} {path} {body}: {answer}");
    serde_json::from_str(answer).unwrap_or(Value::Null)
}

pub(super) fn get(s: &Server, path: &str, query: &[(&str, &str)]) -> Value {
    let pairs: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let url = format!("{}/api/2.0/mlflow/{path}?{}", s.uri, pairs.join("&"));
    let out = std::process::Command::new("curl")
        .args(["-sS", "--fail-with-body"])
        .arg(&url)
        .output()
        .expect("curl");
    assert!(
        out.status.success(),
        "GET {url}: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

pub(super) fn set_alias(s: &Server, name: &str, alias: &str, version: &str) {
    call(
        s,
        "POST",
        "registered-models/alias",
        &json!({ "name": name, "alias": alias, "version": version }),
    );
}

pub(super) fn alias_holder(s: &Server, name: &str, alias: &str) -> Option<String> {
    let model = get(s, "registered-models/get", &[("name", name)]);
    model["registered_model"]["aliases"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["alias"] == alias)
        .map(|a| a["version"].as_str().unwrap().to_string())
}

pub(super) fn version(s: &Server, name: &str, v: &str) -> Value {
    get(s, "model-versions/get", &[("name", name), ("version", v)])["model_version"].clone()
}

/// The version's tags as a map.
pub(super) fn tags(s: &Server, name: &str, v: &str) -> serde_json::Map<String, Value> {
    version(s, name, v)["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| (t["key"].as_str().unwrap().to_string(), t["value"].clone()))
        .collect()
}

/// Runs `promote` with the test policy; returns (exit code, results JSON, stderr).
pub(super) fn promote(uri: &str, reference: &str, args: &[&str]) -> (i32, Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let out = clean()
        .args([
            "promote",
            reference,
            "--tracking-uri",
            uri,
            "--policy",
            POLICY,
            "--quiet",
            "--json",
        ])
        .arg(&json)
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let results = std::fs::read_to_string(&json)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    (out.status.code().unwrap(), results, stderr)
}

/// Who holds @champion of `name` now.
pub(super) fn champion(s: &Server, name: &str) -> Option<String> {
    alias_holder(s, name, "champion")
}

pub(super) fn outcome<'a>(results: &'a Value, rule: &str) -> &'a str {
    finding(results, rule)["outcome"]
        .as_str()
        .unwrap_or_default()
}

pub(super) fn finding<'a>(results: &'a Value, rule: &str) -> &'a Value {
    results["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["rule_id"] == rule))
        .unwrap_or_else(|| panic!("no finding for {rule} in {results}"))
}

pub(super) const SERVERS: [&str; 2] = ["MLFLOW3", "MLFLOW2"];

mod gate;
mod guard;
mod outcome;

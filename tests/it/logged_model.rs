//! The `logged_model` section of a registered version (issue 21): an MLflow 3 version
//! registered from a logged model (`models:/m-…` source) gets it with one
//! `logged-models/{id}` call, in a single check and in a bulk audit, so a rule on
//! `logged_model.metrics` passes or fails; a version with none (MLflow 2.x, a source that is
//! not a logged model) lists it as unavailable, so the rule is skipped and says why; a failed
//! read is an error entry, so the rule is an error. Replayed against the captured 3.17 server
//! (`oss_mock`), then against the real 3.17 and 2.22 servers.

use std::path::Path;

use serde_json::{json, Value};

use crate::live::{clean, server};
use crate::mock_http::{Request, Response};
use crate::oss_mock::{self, LOGGED_MODEL_CALL, MODEL};
use crate::{mlgate, outcomes, repo_path};

/// Two rules on the logged model: its metrics exist, and its accuracy (0.8125 in the capture
/// and on the live servers' good model) is at least 0.8. A third that always holds: a check
/// whose every rule is skipped evaluated nothing, which is an error of its own.
const POLICY: &str = r#"
[[rule]]
id = "has-a-name"
title = "The version has a name"
severity = "error"
description = "d"
select = "model_version.name"
check = { non_empty = true }

[[rule]]
id = "logged-model-evaluated"
title = "The logged model has metrics"
severity = "error"
description = "A model registered without evaluation metrics cannot be compared."
select = "logged_model.metrics"
check = { non_empty = true }

[[rule]]
id = "logged-model-accurate"
title = "The logged model is accurate enough"
severity = "error"
description = "Accuracy below 0.8 is not fit for the credit desk."
select = "logged_model.metrics.accuracy"
check = { min = 0.8 }
"#;

const RULES: [&str; 2] = ["logged-model-evaluated", "logged-model-accurate"];

/// Runs `check REFERENCE` (or `check --all-models ARGS`) with [`POLICY`]; returns the exit
/// code and the JSON results.
fn run(uri: &str, dir: &Path, args: &[&str]) -> (i32, Value) {
    std::fs::write(dir.join("policy.toml"), POLICY).unwrap();
    let json = dir.join("r.json");
    let out = clean()
        .current_dir(dir)
        .arg("check")
        .args(args)
        .args(["--tracking-uri", uri, "--no-config", "--quiet"])
        .args(["--policy", "policy.toml", "--json"])
        .arg(&json)
        .output()
        .unwrap();
    let text = std::fs::read_to_string(&json).unwrap_or_else(|e| {
        panic!(
            "no results for {args:?}: {e}; {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (
        out.status.code().unwrap(),
        serde_json::from_str(&text).unwrap(),
    )
}

/// The findings of the two rules: rule → (outcome, message).
fn findings(results: &Value) -> Vec<(String, String, String)> {
    results["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| RULES.contains(&f["rule_id"].as_str().unwrap_or_default()))
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["outcome"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Each version's results in a bulk audit's JSON: (version, its results).
fn per_version(results: &Value) -> Vec<(String, Value)> {
    results["results"]
        .as_array()
        .expect("bulk results")
        .iter()
        .map(|r| {
            (
                r["target"]["version"].as_str().unwrap().to_string(),
                r.clone(),
            )
        })
        .collect()
}

fn captured(name: &str) -> String {
    std::fs::read_to_string(repo_path(&format!("tests/fixtures/mlflow/3.17.2/{name}"))).unwrap()
}

#[test]
fn a_registered_mlflow3_version_gets_its_logged_model_with_one_call() {
    let server = oss_mock::start(false);
    let dir = tempfile::tempdir().unwrap();
    let (code, results) = run(&server.url, dir.path(), &[&format!("models:/{MODEL}/1")]);
    assert_eq!(code, 0, "{results}");
    let o = outcomes(&results);
    assert_eq!(
        (
            o["logged-model-evaluated"].as_str(),
            o["logged-model-accurate"].as_str()
        ),
        ("pass", "pass"),
        "{results}"
    );
    assert_eq!(server.requested(LOGGED_MODEL_CALL), 1);

    let snapshot = dir.path().join("s.json");
    mlgate()
        .env_remove("MLFLOW_TRACKING_TOKEN")
        .args(["snapshot", &format!("models:/{MODEL}/1"), "--tracking-uri"])
        .args([&server.url, "-q", "-o"])
        .arg(&snapshot)
        .assert()
        .code(0);
    let snapshot: Value = serde_json::from_slice(&std::fs::read(&snapshot).unwrap()).unwrap();
    let lm = &snapshot["logged_model"];
    assert_eq!(lm["info"]["model_id"], "m-fa0dd3e2f83542d6a7822ad819764c2e");
    assert_eq!(lm["params"]["C"], "0.5");
    assert_eq!(lm["metrics"]["accuracy"]["dataset_name"], "credit-test");
    assert_eq!(lm["tags"]["framework"], "sklearn");
    let unavailable = snapshot["unavailable"].as_array().unwrap();
    assert!(
        unavailable.iter().all(|u| u["section"] != "logged_model"),
        "{unavailable:?}"
    );
    assert_eq!(snapshot["errors"], json!([]));
}

#[test]
fn the_mlmodel_search_and_the_facts_share_one_read_of_the_logged_model() {
    // The registry route fails, so the MLmodel is found through the logged model's
    // `artifact_uri` while the facts stage asks for the same logged model.
    let root =
        "/api/2.0/mlflow-artifacts/artifacts/1/models/m-fa0dd3e2f83542d6a7822ad819764c2e/artifacts";
    let mlmodel = format!("{root}/MLmodel");
    let example = format!("{root}/input_example.json");
    let mlmodel_path = mlmodel.clone();
    let server = oss_mock::with_fault(move |r: &Request| {
        if r.path == "/model-versions/get-artifact" {
            return Some(Response::json(
                500,
                r#"{"error_code": "INTERNAL_ERROR", "message": "no"}"#,
            ));
        }
        let file = if r.path == mlmodel_path {
            "model-versions_get-artifact_good_v1_MLmodel.yaml"
        } else if r.path == example {
            "model-versions_get-artifact_good_v1_input_example.json"
        } else {
            return None;
        };
        Some(Response::text(200, captured(file), "text/plain"))
    });
    let dir = tempfile::tempdir().unwrap();
    let (code, results) = run(&server.url, dir.path(), &[&format!("models:/{MODEL}/1")]);
    assert_eq!(code, 0, "{results}");
    assert_eq!(outcomes(&results)["logged-model-accurate"], "pass");
    assert_eq!(
        server.requested(&mlmodel),
        1,
        "the MLmodel came through the logged model"
    );
    assert_eq!(server.requested(LOGGED_MODEL_CALL), 1, "one read for both");
}

#[test]
fn a_failed_read_of_the_logged_model_is_an_error_entry_and_the_rule_an_error() {
    let server = oss_mock::with_fault(|r: &Request| {
        (r.path == LOGGED_MODEL_CALL).then(|| {
            Response::json(
                404,
                r#"{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Logged model with ID 'm-fa0d' not found"}"#,
            )
        })
    });
    let dir = tempfile::tempdir().unwrap();
    let (code, results) = run(&server.url, dir.path(), &[&format!("models:/{MODEL}/1")]);
    assert_eq!(code, 3, "a rule that could not be evaluated: {results}");
    for (rule, outcome, _) in findings(&results) {
        assert_eq!(outcome, "error", "{rule}: {results}");
    }
    let errors = results["gather_errors"].as_array().unwrap();
    let entry = errors
        .iter()
        .find(|e| e["section"] == "logged_model")
        .unwrap_or_else(|| panic!("no logged_model entry: {results}"));
    assert_eq!(entry["http_status"], 404, "{entry}");
    assert!(
        entry["call"].as_str().unwrap().contains("logged-models/"),
        "{entry}"
    );
}

#[test]
fn a_version_on_mlflow2_skips_the_rules_and_says_why() {
    // The captured version as MLflow 2.22 answers it: its source the run's artifacts.
    let mut version: Value =
        serde_json::from_str(&captured("model-versions_get_good_v1.json")).unwrap();
    version["model_version"]["source"] =
        json!("mlflow-artifacts:/1/4af956a9ceef4de0a9aea631c9859acf/artifacts/model");
    let version = version.to_string();
    let server = oss_mock::with_fault(move |r: &Request| match r.path.as_str() {
        oss_mock::VERSION_CALL => Some(Response::json(200, version.clone())),
        "/version" => Some(Response::text(200, "2.22.5", "text/plain")),
        _ => None,
    });
    let dir = tempfile::tempdir().unwrap();
    let (code, results) = run(&server.url, dir.path(), &[&format!("models:/{MODEL}/1")]);
    assert_eq!(code, 0, "{results}");
    let found = findings(&results);
    assert_eq!(found.len(), 2, "{results}");
    for (rule, outcome, message) in found {
        assert_eq!(outcome, "skipped", "{rule}: {results}");
        assert!(
            message.contains("MLflow 2.22.5 has no logged models"),
            "{rule}: {message}"
        );
    }
    assert_eq!(server.requested("/logged-models/"), 0);
}

#[test]
fn every_listed_version_gets_its_logged_model_once() {
    const VERSIONS: usize = 3;
    let server = oss_mock::with_fault(|r: &Request| {
        if r.path == oss_mock::SEARCH_MODELS {
            return Some(oss_mock::listed_model());
        }
        (r.path == oss_mock::SEARCH_VERSIONS).then(|| oss_mock::listed_versions(VERSIONS))
    });
    let dir = tempfile::tempdir().unwrap();
    let (code, results) = run(&server.url, dir.path(), &["--all-models"]);
    assert_eq!(code, 0, "{results}");
    let versions = per_version(&results);
    assert_eq!(versions.len(), VERSIONS, "{results}");
    for (version, r) in versions {
        let o = outcomes(&r);
        assert_eq!(
            o["logged-model-evaluated"], "pass",
            "version {version}: {r}"
        );
        assert_eq!(o["logged-model-accurate"], "pass", "version {version}: {r}");
    }
    assert_eq!(
        server.requested(LOGGED_MODEL_CALL),
        VERSIONS,
        "one read per version, never one per rule"
    );
}

/// The live servers' good model (both registered from logged models on 3.17).
fn good_model(s: &crate::live::Server) -> String {
    s.ids["good_model"].as_str().unwrap().to_string()
}

#[test]
fn mlflow3_a_rule_on_the_logged_model_evaluates_for_a_registered_version() {
    let Some(s) = server("MLFLOW3") else { return };
    let good = good_model(&s);
    let dir = tempfile::tempdir().unwrap();
    for version in ["1", "2"] {
        let source = s.ids["models"][&good]["versions"][version]["source"]
            .as_str()
            .unwrap();
        assert!(
            source.starts_with("models:/m-"),
            "populated from a logged model: {source}"
        );
        let (code, results) = run(&s.uri, dir.path(), &[&format!("models:/{good}/{version}")]);
        for (rule, outcome, message) in findings(&results) {
            assert!(
                outcome == "pass" || outcome == "fail",
                "{rule} on version {version}: {outcome} ({message})"
            );
        }
        assert_eq!(findings(&results).len(), 2, "{results}");
        assert_eq!(outcomes(&results)["logged-model-evaluated"], "pass");
        assert_ne!(code, 3, "{results}");
    }
    // A `runs:/` source: the run's logged model of that name, found on the way to the MLmodel.
    let runs_model = s.ids["runs_uri_model"].as_str().unwrap();
    let (_, results) = run(&s.uri, dir.path(), &[&format!("models:/{runs_model}/1")]);
    assert_eq!(
        outcomes(&results)["logged-model-evaluated"],
        "pass",
        "{results}"
    );

    let filter = format!("name = '{good}'");
    let (code, results) = run(&s.uri, dir.path(), &["--all-models", "--filter", &filter]);
    assert_ne!(code, 3, "{results}");
    let versions = per_version(&results);
    assert!(versions.len() >= 2, "{results}");
    for (version, r) in versions {
        let o = outcomes(&r);
        assert_eq!(
            o["logged-model-evaluated"], "pass",
            "version {version}: {r}"
        );
        assert!(
            ["pass", "fail"].contains(&o["logged-model-accurate"].as_str()),
            "version {version}: {r}"
        );
    }
}

#[test]
fn mlflow2_a_rule_on_the_logged_model_is_skipped_with_the_reason() {
    let Some(s) = server("MLFLOW2") else { return };
    let good = good_model(&s);
    let dir = tempfile::tempdir().unwrap();
    let skipped_with_reason = |results: &Value| {
        let found = findings(results);
        assert_eq!(found.len(), 2, "{results}");
        for (rule, outcome, message) in found {
            assert_eq!(outcome, "skipped", "{rule}: {results}");
            assert!(
                message.contains("MLflow 2.22") && message.contains("no logged models"),
                "{rule}: {message}"
            );
        }
    };
    let (code, results) = run(&s.uri, dir.path(), &[&format!("models:/{good}/1")]);
    assert_ne!(code, 3, "{results}");
    skipped_with_reason(&results);

    let filter = format!("name = '{good}'");
    let (code, results) = run(&s.uri, dir.path(), &["--all-models", "--filter", &filter]);
    assert_ne!(code, 3, "{results}");
    let versions = per_version(&results);
    assert!(versions.len() >= 2, "{results}");
    for (_, r) in versions {
        skipped_with_reason(&r);
    }
}

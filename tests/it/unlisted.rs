//! A listing that leaves a model's versions out is that model's error, never a silent zero
//! (issue 20): against the replayed MLflow 3.17 server, `model-versions/search` answers no
//! version of a registered model whose own answer names versions 1 and 2 (latest in Staging
//! and Production). `check --all-models` exits 3 with one error entry for the model, in JSON
//! and JUnit, saying which listing came back empty and which versions the model names.

use serde_json::Value;

use crate::mlgate;
use crate::mock_http::{Request, Response};
use crate::oss_mock::{self, MODEL};

/// The registered model as captured; its versions listed as none.
fn nothing_listed(r: &Request) -> Option<Response> {
    if r.path == oss_mock::SEARCH_MODELS {
        return Some(oss_mock::listed_model());
    }
    if r.path == oss_mock::SEARCH_VERSIONS {
        // The filter mlgate sends for an ordinary name is the one it always sent; another
        // is refused, which stops the run (no JSON written).
        if r.q("filter") != format!("name='{MODEL}'") {
            return Some(Response::json(
                400,
                r#"{"error_code": "INVALID_PARAMETER_VALUE"}"#,
            ));
        }
        return Some(Response::json(200, "{}"));
    }
    None
}

#[test]
fn a_model_whose_versions_are_not_listed_is_an_error_entry() {
    let server = oss_mock::with_fault(nothing_listed);
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let out = mlgate()
        .current_dir(dir.path())
        .args(["check", "--all-models", "--no-config", "--quiet"])
        .args(["--tracking-uri", &server.url])
        .args(["--json", "r.json", "--junit", "j.xml"])
        .env_remove("MLFLOW_TRACKING_URI")
        .env_remove("MLFLOW_TRACKING_TOKEN")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");

    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(path("r.json")).unwrap()).unwrap();
    let results = json["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{json}");
    let r = &results[0];
    assert_eq!(r["target"]["name"], MODEL);
    assert_eq!(
        r["target"]["reference"],
        format!("models:/{MODEL}/2"),
        "the highest version the model names"
    );
    assert_eq!(r["verdict"]["status"], "error");
    let text = r.to_string();
    assert!(
        text.contains("listed no version of registered model")
            && text.contains("names version(s) 1, 2")
            && text.contains(&format!("(filter name='{MODEL}')"))
            && text.contains("model-versions/search"),
        "{text}"
    );
    assert_eq!(json["summary"]["error"], 1, "{json}");

    let junit = std::fs::read_to_string(path("j.xml")).unwrap();
    let doc = roxmltree::Document::parse(&junit).expect("well-formed JUnit");
    let suites: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 1, "{junit}");
    // A version never gathered is named by its model alone, as for any other gather failure.
    assert_eq!(suites[0].attribute("name"), Some(MODEL));
    assert_ne!(suites[0].attribute("errors"), Some("0"), "{junit}");
    assert!(
        junit.contains("listed no version of registered model"),
        "{junit}"
    );
}

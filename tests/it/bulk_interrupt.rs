//! `check --all-models` stopped by Ctrl-C (SIGINT), a cancelled CI job or `timeout` (SIGTERM),
//! or a closed terminal (SIGHUP; issue 21: only SIGINT was handled): against the replayed MLflow 3.17 server
//! (`oss_mock`), listing six versions of its one model, of which the last three never get an
//! answer to their download-URI call. The run is interrupted once the first three are checked:
//! it must end at once with exit 3 (an interrupted audit is no pass), and its JSON, JUnit and
//! summary must be whole documents holding exactly the versions finished.
//!
//! Payloads: `registered-models/search` and `model-versions/search` are built from the captured
//! `registered-models/get` and `model-versions/get` answers (inferred from their shapes, as the
//! lab captured these listings for other models); every other call is a real capture.

#![cfg(unix)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::mock_http::{Request, Response};
use crate::oss_mock::{self, MODEL};

const FINISHED: usize = 3;
const LISTED: usize = 6;

/// The listings; the download URI of the versions after the first three hangs (for as long
/// as the test could possibly run).
fn listing_then_hang(r: &Request) -> Option<Response> {
    if r.path == oss_mock::SEARCH_MODELS {
        return Some(oss_mock::listed_model());
    }
    if r.path == oss_mock::SEARCH_VERSIONS {
        return Some(oss_mock::listed_versions(LISTED));
    }
    if r.path == "/api/2.0/mlflow/model-versions/get-download-uri"
        && r.q("version").parse::<usize>().unwrap_or(0) > FINISHED
    {
        std::thread::sleep(Duration::from_secs(600));
    }
    None
}

#[test]
fn ctrl_c_stops_the_audit_and_keeps_what_was_finished() {
    interrupted_by("INT");
}

#[test]
fn sigterm_stops_the_audit_and_keeps_what_was_finished() {
    interrupted_by("TERM");
}

#[test]
fn sighup_stops_the_audit_and_keeps_what_was_finished() {
    interrupted_by("HUP");
}

/// Sends `signal` (as `kill` names it) once three versions are finished, and checks that the
/// run ends at once with whole documents holding those three.
fn interrupted_by(signal: &str) {
    let server = oss_mock::with_fault(listing_then_hang);
    let dir = tempfile::tempdir().unwrap();
    let (json_path, junit_path, report_path) = (
        dir.path().join("r.json"),
        dir.path().join("j.xml"),
        dir.path().join("s.md"),
    );
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("mlgate"))
        .args(["check", "--all-models", "--no-config", "--jobs", "6"])
        .arg("--tracking-uri")
        .arg(&server.url)
        .arg("--json")
        .arg(&json_path)
        .arg("--junit")
        .arg(&junit_path)
        .arg("--report")
        .arg(&report_path)
        .env_remove("MLFLOW_TRACKING_URI")
        .env_remove("MLFLOW_TRACKING_TOKEN")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    // The three answered versions end with their file listing; the others are all waiting.
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.requested("/mlflow-artifacts/artifacts?") < FINISHED
        || server.requested("get-download-uri") < LISTED
    {
        assert!(Instant::now() < deadline, "{:#?}", server.requests);
        assert!(child.try_wait().unwrap().is_none(), "mlgate ended early");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Time to judge and write what was gathered.
    std::thread::sleep(Duration::from_millis(500));
    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let stopped = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(
        stopped.elapsed() < Duration::from_secs(10),
        "SIG{signal} took {:?}",
        stopped.elapsed()
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(stderr.contains(&format!("SIG{signal}")), "{stderr}");

    let results: Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).expect("whole JSON");
    let versions: Vec<&str> = results["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["target"]["version"].as_str().unwrap())
        .collect();
    let mut sorted = versions.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, ["1", "2", "3"], "{results}");
    for r in results["results"].as_array().unwrap() {
        assert_eq!(r["target"]["name"], MODEL);
        assert_eq!(r["verdict"]["status"], "pass", "{r}");
    }
    assert_eq!(results["summary"]["interrupted"], true);
    assert_eq!(results["summary"]["selected"], LISTED);
    assert_eq!(results["summary"]["checked"], FINISHED);

    let junit = std::fs::read_to_string(&junit_path).unwrap();
    let doc = roxmltree::Document::parse(&junit).expect("whole JUnit");
    let suites = doc
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .count();
    assert_eq!(suites, FINISHED, "{junit}");

    let summary = std::fs::read_to_string(&report_path).unwrap();
    assert!(summary.starts_with("# mlgate audit: ERROR"), "{summary}");
    assert!(summary.to_lowercase().contains("interrupted"), "{summary}");
}

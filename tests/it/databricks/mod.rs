//! Databricks, against the in-process mock workspace (`mock.rs` lists which payloads are
//! documented and which inferred): the workspace registry reproduces the seed report, Unity
//! Catalog grants decide the same ACL rule, auth, errors and pagination behave, and `promote`
//! makes exactly the documented writes on the mock's stateful registry (`promote/`).

mod confinement;
mod gather_layer;
mod guard;
mod mock;
mod promote;
mod registry_state;
mod uc_s3;
mod uc_storage;
mod uc_storage_mock;

use std::path::Path;

use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;
use serde_json::Value;

use crate::{mlgate, outcomes};
use mock::{Mock, Options, CLIENT_ID, CLIENT_SECRET, TOKEN};

/// `mlgate` with no credentials or config of the machine's own: only what a test sets.
fn isolated(home: &Path) -> assert_cmd::Command {
    let mut cmd = mlgate();
    for var in [
        "MLFLOW_TRACKING_URI",
        "MLFLOW_REGISTRY_URI",
        "MLFLOW_TRACKING_USERNAME",
        "MLFLOW_TRACKING_PASSWORD",
        "MLFLOW_TRACKING_TOKEN",
        "DATABRICKS_HOST",
        "DATABRICKS_TOKEN",
        "DATABRICKS_CLIENT_ID",
        "DATABRICKS_CLIENT_SECRET",
        "DATABRICKS_CONFIG_PROFILE",
        "DATABRICKS_CONFIG_FILE",
        "DATABRICKS_AUTH_TYPE",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("HOME", home)
        .env("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0");
    cmd
}

fn with_token(mock: &Mock, home: &Path) -> assert_cmd::Command {
    let mut cmd = isolated(home);
    cmd.env("DATABRICKS_HOST", &mock.url)
        .env("DATABRICKS_TOKEN", TOKEN);
    cmd
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn workspace_registry_gives_the_findings_of_the_example() {
    let mock = Mock::start(Options::default());
    let dir = tempfile::tempdir().unwrap();
    let (live, example, snap) = (
        dir.path().join("live.json"),
        dir.path().join("example.json"),
        dir.path().join("snap.json"),
    );
    let report = dir.path().join("live.md");
    with_token(&mock, dir.path())
        .args(["check", "-q", "models:/dolly3b/1", "--json"])
        .arg(&live)
        .arg("--report")
        .arg(&report)
        .assert()
        .code(1);
    // Every fact of the seed report, but those of the run itself: when and by what it was
    // made, and the tracking URI as named (`databricks` here, a profile in the seed).
    let skip = [
        "report_time",
        "report_script",
        "mlflow_tracking_uri",
        "_tracking_uri",
    ];
    let missing =
        crate::seed_report::missing_seed_rows(&std::fs::read_to_string(&report).unwrap(), &skip);
    assert!(
        missing.is_empty(),
        "rows of the seed missing from the live report:\n{}",
        missing.join("\n")
    );
    isolated(dir.path())
        .args(["check", "-q", "--example", "--json"])
        .arg(&example)
        .assert()
        .code(1);
    let (live, example) = (json(&live), json(&example));
    assert_eq!(
        outcomes(&live),
        outcomes(&example),
        "the mock workspace and the transcribed example agree"
    );
    assert_eq!(outcomes(&live)["users-group-can-manage"], "fail");
    assert_eq!(outcomes(&live)["empty-params"], "fail");
    // The notebook experiment's ACL is refused (as in the seed): recorded, so exit 3.
    with_token(&mock, dir.path())
        .args(["snapshot", "models:/dolly3b/1", "-o"])
        .arg(&snap)
        .assert()
        .code(3);
    let s = json(&snap);
    assert_eq!(s["manifest"]["backend"], "databricks-workspace");
    assert_eq!(
        s["artifacts"]["size_bytes"], 11_239_015_445_u64,
        "the seed's model size, from the listing"
    );
    assert_eq!(s["transition_requests"], serde_json::json!([]));
    let entries = s["permissions"]["registered_model"]["entries"]
        .as_array()
        .unwrap();
    let users = entries.iter().find(|e| e["principal"] == "users").unwrap();
    assert_eq!(
        (
            users["level"].as_str(),
            users["rank"].as_str(),
            users["inherited"].as_bool()
        ),
        (Some("CAN_MANAGE"), Some("manage"), Some(true))
    );
    let errors = s["errors"].as_array().unwrap();
    assert!(
        errors.iter().any(|e| e["http_status"] == 400
            && e["message"] == "Object 3336498746257830 not a experiment."),
        "the notebook experiment's 400 is recorded: {errors:?}"
    );
    assert!(
        mock.requested("/api/2.0/permissions/notebooks/3336498746257830") > 0,
        "the notebook's own ACL was tried"
    );
    assert_eq!(
        mock.requested("/_signed/"),
        4,
        "two gathers, each reading MLmodel and input example through signed URLs"
    );
}

#[test]
fn a_profile_reproduces_every_row_of_the_seed_report() {
    let mock = Mock::start(Options::default());
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("databrickscfg");
    std::fs::write(
        &config,
        format!("[__settings__]\ndefault_profile = other\n\n[DEFAULT]\nhost = http://127.0.0.1:9\ntoken = wrong\n\n[e2_demo]\nhost = {}\ntoken = {TOKEN}\n", mock.url),
    )
    .unwrap();
    let report = dir.path().join("report.md");
    isolated(dir.path())
        .env("DATABRICKS_CONFIG_FILE", &config)
        .args([
            "check",
            "-q",
            "models:/dolly3b/1",
            "--tracking-uri",
            "databricks://e2_demo",
            "--report",
        ])
        .arg(&report)
        .assert()
        .code(1);
    let missing = crate::seed_report::missing_seed_rows(
        &std::fs::read_to_string(&report).unwrap(),
        &["report_time", "report_script"],
    );
    assert!(
        missing.is_empty(),
        "rows of the seed missing from the live report:\n{}",
        missing.join("\n")
    );
    // The same profile chosen through DATABRICKS_CONFIG_PROFILE.
    isolated(dir.path())
        .env("DATABRICKS_CONFIG_FILE", &config)
        .env("DATABRICKS_CONFIG_PROFILE", "e2_demo")
        .args([
            "check",
            "-q",
            "models:/dolly3b/1",
            "--tracking-uri",
            "databricks",
        ])
        .assert()
        .code(1);
    // The default profile named in [__settings__] does not exist: say so, listing the profiles.
    isolated(dir.path())
        .env("DATABRICKS_CONFIG_FILE", &config)
        .args([
            "check",
            "-q",
            "models:/dolly3b/1",
            "--tracking-uri",
            "databricks",
        ])
        .assert()
        .code(2)
        .stderr(contains("profile `other` is not in"))
        .stderr(contains("DEFAULT, e2_demo"));
}

#[test]
fn oauth_m2m_fetches_one_token_and_reuses_it() {
    let mock = Mock::start(Options::default());
    let dir = tempfile::tempdir().unwrap();
    isolated(dir.path())
        .env("DATABRICKS_HOST", &mock.url)
        .env("DATABRICKS_CLIENT_ID", CLIENT_ID)
        .env("DATABRICKS_CLIENT_SECRET", CLIENT_SECRET)
        .args(["check", "-q", "models:/dolly3b/1"])
        .assert()
        .code(1);
    let calls = mock.requested("");
    assert!(calls > 10, "a full gather makes many calls ({calls})");
    assert_eq!(
        mock.token_requests
            .load(std::sync::atomic::Ordering::SeqCst),
        1,
        "one token for the whole run"
    );
    isolated(dir.path())
        .env("DATABRICKS_HOST", &mock.url)
        .env("DATABRICKS_CLIENT_ID", CLIENT_ID)
        .env("DATABRICKS_CLIENT_SECRET", "wrong")
        .args(["check", "-q", "models:/dolly3b/1"])
        .assert()
        .code(3)
        .stderr(contains(
            "OAuth token request failed: Client authentication failed",
        ));
}

#[test]
fn an_invalid_token_is_a_403_with_a_numeric_error_code() {
    let mock = Mock::start(Options::default());
    let dir = tempfile::tempdir().unwrap();
    isolated(dir.path())
        .env("DATABRICKS_HOST", &mock.url)
        .env("DATABRICKS_TOKEN", "dapi-expired")
        .args(["check", "-q", "models:/dolly3b/1"])
        .assert()
        .code(3)
        .stderr(contains(format!(
            "could not gather models:/dolly3b/1 from {} (databricks)",
            mock.url
        )))
        .stderr(contains("HTTP 403: Invalid access token."))
        .stderr(contains(
            "credentials from the token in DATABRICKS_* environment variables",
        ))
        .stderr(contains("dapi-expired").not());
}

#[test]
fn unknown_model_and_version_on_databricks_are_exit_3() {
    let mock = Mock::start(Options::default());
    let dir = tempfile::tempdir().unwrap();
    with_token(&mock, dir.path())
        .args(["check", "models:/dolly3b/7"])
        .assert()
        .code(3)
        .stderr(contains("version=7) not found"));
}

#[test]
fn a_readable_notebook_acl_stands_in_for_the_notebook_experiment() {
    let mock = Mock::start(Options {
        notebook_acl_readable: true,
        ..Options::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let (snap, results) = (dir.path().join("s.json"), dir.path().join("r.json"));
    with_token(&mock, dir.path())
        .args(["snapshot", "models:/dolly3b/1", "-o"])
        .arg(&snap)
        .assert()
        .code(0);
    let s = json(&snap);
    assert_eq!(
        s["permissions"]["experiment"]["object_id"], "/notebooks/3336498746257830",
        "says which object the ACL came from"
    );
    assert!(s["permissions"]["experiment"]["entries"]
        .as_array()
        .is_some_and(|e| !e.is_empty()));
    with_token(&mock, dir.path())
        .args(["check", "-q", "--snapshot"])
        .arg(&snap)
        .arg("--json")
        .arg(&results)
        .assert()
        .code(1); // empty-params still fails
    assert_eq!(
        outcomes(&json(&results))["experiment-users-group-can-manage"],
        "pass",
        "users only read the notebook"
    );
}

#[test]
fn unity_catalog_grants_decide_the_same_acl_rule() {
    let mock = Mock::start(Options::default());
    let dir = tempfile::tempdir().unwrap();
    let (snap, results) = (dir.path().join("s.json"), dir.path().join("r.json"));
    with_token(&mock, dir.path())
        .args(["snapshot", "main.ml.churn@champion", "-o"])
        .arg(&snap)
        .assert()
        .code(0);
    let s = json(&snap);
    assert_eq!(s["manifest"]["backend"], "databricks-uc");
    assert_eq!(s["target"]["version"], "3");
    assert_eq!(s["target"]["reference_alias"], "champion");
    assert_eq!(
        s["registered_model"]["aliases"][0],
        serde_json::json!({"alias": "champion", "version": "3"})
    );
    assert_eq!(
        s["model_version"]["description"],
        "Retrained on Q3 data; AUC 0.91 on the holdout."
    );
    assert!(
        s["mlflow_model"]["signature"]["inputs"]
            .as_array()
            .is_some_and(|i| i.len() == 2),
        "MLmodel read through the Files API"
    );
    let raw = &s["permissions"]["registered_model"]["raw"];
    assert_eq!(
        raw["permissions"]["privilege_assignments"]
            .as_array()
            .unwrap()
            .len(),
        3,
        "direct grants: both pages"
    );
    let entries = s["permissions"]["registered_model"]["entries"]
        .as_array()
        .unwrap();
    let principals: Vec<&str> = entries
        .iter()
        .map(|e| e["principal"].as_str().unwrap())
        .collect();
    assert!(
        principals.contains(&"alice@example.com"),
        "effective grants: the third page too ({principals:?})"
    );
    assert!(entries
        .iter()
        .any(|e| e["principal"] == "ml-platform@example.com"
            && e["level"] == "OWNER"
            && e["rank"] == "manage"));
    let manage = entries
        .iter()
        .find(|e| e["principal"] == "account users" && e["level"] == "MANAGE")
        .unwrap();
    assert_eq!(
        (manage["principal_type"].as_str(), manage["rank"].as_str()),
        (Some("group"), Some("manage"))
    );
    assert_eq!(manage["inherited_from"][0], "SCHEMA:main.ml");
    with_token(&mock, dir.path())
        .args(["check", "-q", "main.ml.churn@champion", "--json"])
        .arg(&results)
        .assert()
        .code(1);
    let o = outcomes(&json(&results));
    assert_eq!(
        o["users-group-can-manage"], "fail",
        "`account users` with MANAGE fails the bundled rule"
    );
    assert_eq!(o["missing-signature"], "pass");
    assert_eq!(o["empty-params"], "pass");
    assert_eq!(
        mock.requested("/effective-permissions/function/main.ml.churn"),
        6,
        "three pages, two gathers"
    );
}

#[test]
fn a_stage_reference_against_unity_catalog_says_to_use_an_alias() {
    let mock = Mock::start(Options::default());
    let dir = tempfile::tempdir().unwrap();
    with_token(&mock, dir.path())
        .args(["check", "models:/main.ml.churn/Production"])
        .assert()
        .code(2)
        .stderr(contains("Unity Catalog models have no stages"))
        .stderr(contains("models:/main.ml.churn@champion"));
}

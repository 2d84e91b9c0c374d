//! A saved snapshot replays to the same pass/fail as the live check that saved it, or to an
//! error; never a failure turned into a pass. A replayed MLflow server holds secrets (a
//! password param, a token tag, an AWS key in the description, a JSON param with a password
//! inside, a param named like a token). For every bundled policy and for rules that look for
//! the secrets themselves, the live check's outcomes are compared with those of `check
//! --snapshot` on the file `mlgate snapshot` saved (redacted, as by default), and `mlgate test`
//! over that file expects the same.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Value};

use crate::mlgate;
use crate::mock_http::{Request, Response};

/// Rules that read the secrets: they fail live.
const SEEKING: &str = r#"
[policy]
name = "seeking"

[[rule]]
id = "no-password-param"
title = "No password is logged in clear"
severity = "error"
description = "Reads a redacted value."
select = "run.params.db_password"
check = { not_matches = "^hunter" }

[[rule]]
id = "no-aws-key-in-description"
title = "The description holds no AWS key"
severity = "error"
description = "Reads a partly redacted value."
select = "registered_model.description"
check = { not_matches = "AKIA[0-9A-Z]{16}" }

[[rule]]
id = "no-token-in-tags"
title = "No tag holds a Databricks token"
severity = "error"
description = "Reads a table holding a redacted value."
select = "run.tags"
check = { none = { matches = "dapi[0-9a-f]{32}" } }

[[rule]]
id = "params-present"
title = "Params are logged"
severity = "error"
description = "Asks only whether something is there."
select = "run.params"
check = { non_empty = true, count_min = 3 }
"#;

fn fixture(name: &str) -> Value {
    let path = crate::repo_path(&format!("tests/fixtures/mlflow/3.17.2/{name}"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A server whose run and registered model hold secrets.
fn server() -> crate::mock_http::Server {
    let mut run = fixture("runs_get_good_v1.json");
    let data = &mut run["run"]["data"];
    for (key, value) in [
        ("db_password", "hunter22-Xq9"),
        ("config", &json!({ "password": "hunter22-Xq9" }).to_string()),
        (&format!("ghp_{}", "Ab1".repeat(12)), "0.5"),
    ] {
        data["params"]
            .as_array_mut()
            .unwrap()
            .push(json!({ "key": key, "value": value }));
    }
    data["tags"].as_array_mut().unwrap().push(json!({
        "key": "deploy.note",
        "value": "uses dapi0123456789abcdef0123456789abcdef",
    }));
    let mut model = fixture("registered-models_get_good.json");
    model["registered_model"]["description"] = "Reads s3 with AKIAIOSFODNN7EXAMPLE.".into();
    let (run, model) = (run.to_string(), model.to_string());
    crate::oss_mock::with_fault(move |r: &Request| match r.path.as_str() {
        "/api/2.0/mlflow/runs/get" => Some(Response::json(200, run.clone())),
        "/api/2.0/mlflow/registered-models/get" => Some(Response::json(200, model.clone())),
        _ => None,
    })
}

/// The outcome of every rule, from a JSON results file.
fn outcomes(path: &Path) -> BTreeMap<String, String> {
    crate::outcomes(&serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap())
}

fn check(dir: &Path, source: &[&str], policy: &Path, json: &str) -> BTreeMap<String, String> {
    mlgate()
        .arg("check")
        .args(source)
        .arg("--policy")
        .arg(policy)
        .args(["--no-config", "--json"])
        .arg(dir.join(json))
        .assert()
        .code(predicates::ord::le(3));
    outcomes(&dir.join(json))
}

#[test]
fn a_replayed_snapshot_never_passes_what_the_live_check_failed() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let model = format!("models:/{}/1", crate::oss_mock::MODEL);
    let saved = dir.join("saved.json");
    mlgate()
        .args(["snapshot", &model, "--tracking-uri", &server.url, "-o"])
        .arg(&saved)
        .assert()
        .success();
    let seeking = dir.join("seeking.toml");
    std::fs::write(&seeking, SEEKING).unwrap();
    let mut policies = vec![seeking.clone()];
    policies.extend(
        ["baseline", "production", "databricks"]
            .map(|p| crate::repo_path(&format!("policies/{p}.toml"))),
    );
    for policy in &policies {
        let live = check(
            dir,
            &[&model, "--tracking-uri", &server.url],
            policy,
            "live.json",
        );
        let replay = check(
            dir,
            &["--snapshot", saved.to_str().unwrap()],
            policy,
            "replay.json",
        );
        assert_eq!(
            live.keys().collect::<Vec<_>>(),
            replay.keys().collect::<Vec<_>>()
        );
        for (rule, was) in &live {
            let now = &replay[rule];
            assert!(
                now == was || now == "error",
                "{}: {rule} was {was} live, {now} on replay",
                policy.display()
            );
        }
    }
    // The rules that read a secret failed live and cannot be judged on the saved file.
    let live = check(
        dir,
        &[&model, "--tracking-uri", &server.url],
        &seeking,
        "live.json",
    );
    let replay = check(
        dir,
        &["--snapshot", saved.to_str().unwrap()],
        &seeking,
        "replay.json",
    );
    for rule in [
        "no-password-param",
        "no-aws-key-in-description",
        "no-token-in-tags",
    ] {
        assert_eq!(
            (live[rule].as_str(), replay[rule].as_str()),
            ("fail", "error"),
            "{rule}"
        );
    }
    assert_eq!(
        (
            live["params-present"].as_str(),
            replay["params-present"].as_str()
        ),
        ("pass", "pass")
    );
    let results = std::fs::read_to_string(dir.join("replay.json")).unwrap();
    assert!(
        results.contains("`run.params.db_password` was redacted when the snapshot was saved")
            && results.contains("--no-redact"),
        "{results}"
    );

    // `mlgate test` over the saved file expects the same.
    let tests = dir.join("seeking.test.toml");
    std::fs::write(
        &tests,
        format!(
            "policies = [{seeking:?}]\n\n[[case]]\nname = \"saved redacted\"\nsnapshot = {saved:?}\n\
             [case.expect]\nno-password-param = \"error\"\nparams-present = \"pass\"\n",
        ),
    )
    .unwrap();
    mlgate()
        .arg("test")
        .arg(&tests)
        .arg("--no-config")
        .assert()
        .success();

    // Saved with --no-redact, the replay judges the real values again.
    mlgate()
        .args([
            "snapshot",
            &model,
            "--tracking-uri",
            &server.url,
            "--no-redact",
            "-o",
        ])
        .arg(&saved)
        .assert()
        .success();
    let raw = check(
        dir,
        &["--snapshot", saved.to_str().unwrap()],
        &seeking,
        "raw.json",
    );
    assert_eq!(raw, live);
}

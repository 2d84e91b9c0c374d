//! No output carries a secret, whatever its length and characters. A replayed MLflow server
//! answers with a run whose params and tags hold a secret under a secret key name, a secret
//! of a known shape in free text, and a param *named* like a secret; the value is random text
//! of any length (past the 160 characters where messages cut a value) with quotes,
//! backslashes, control and non-Latin characters between random letter runs. A policy quotes
//! every value it judges, in its messages and its failure details. Every output of the live
//! check (terminal, Markdown, JUnit, JSON, SARIF, Code Quality, GitHub annotations, job summary
//! and step outputs) and the snapshot `mlgate snapshot` saves must hold none of the secret's
//! letter runs: escaping only touches punctuation, so any rendering of the value, whole or
//! cut, would show one of them.

use std::path::Path;
use std::sync::{Arc, Mutex};

use proptest::prelude::*;
use serde_json::{json, Value};

use crate::mlgate;
use crate::mock_http::{Request, Response};

/// A policy whose rules fail on the secrets and quote them every way a message can.
const QUOTING: &str = r#"
[policy]
name = "quoting"

[[rule]]
id = "params-short"
title = "Every param is short"
severity = "error"
description = "Quotes each value in its failure detail."
select = "run.params[*]"
check = { max_length = 3 }
message = "param is {value}"

[[rule]]
id = "params-numeric"
title = "Params are numbers"
severity = "error"
description = "Lists the failing elements of a table."
select = "run.params"
check = { all = { matches = "^[0-9.]+$" } }

[[rule]]
id = "tags-listed"
title = "No tag is set"
severity = "warning"
description = "Lists every element that meets the condition."
select = "run.tags"
check = { none = { min_length = 0 } }

[[rule]]
id = "params-table"
title = "The params are one value"
severity = "error"
description = "An error quoting the whole table."
select = "run.params"
check = { equals = "x" }
"#;

/// Keys that name a secret, as people write them.
const KEYS: [&str; 8] = [
    "db_password",
    "auth_token",
    "passphrase",
    "api_key",
    "AUTHORIZATION",
    "clientSecret",
    "db_pass",
    "hf_token",
];

/// A secret: letter runs (what the test looks for) joined by any characters at all.
fn secret() -> impl Strategy<Value = (String, Vec<String>)> {
    let run = "[A-Za-z0-9]{12,16}";
    let glue = prop_oneof![
        Just(String::new()),
        "[\"\\\\|<>&'`\n\r\t\u{0}\u{1b}\u{7f}\u{202e} ]{1,4}",
        "\\PC{1,6}",
        "[ぁ-んА-я]{1,5}",
    ];
    prop::collection::vec((run, glue), 1..24).prop_map(|parts| {
        let runs: Vec<String> = parts.iter().map(|(r, _)| r.clone()).collect();
        let text = parts.into_iter().map(|(r, g)| r + &g).collect();
        (text, runs)
    })
}

/// Secret shapes built around a random token (the part the test looks for), as providers
/// issue them. Each is put in a tag's text and used as a param's name.
const SHAPES: [fn(&str) -> String; 7] = [
    |t| format!("ghp_{t}"),
    |t| format!("sk-proj-{t}"),
    |t| format!("hf_{t}"),
    |t| format!("xoxb-1234567890-{t}"),
    |t| format!("sk_live_{t}"),
    |t| format!("AKIA{}", t[..16].to_uppercase()),
    |t| format!("postgresql://app:{t}@db:5432/x"),
];

/// The captured run with the secrets added where a server puts them.
fn run_with(key: &str, secret: &str, shaped: &str) -> String {
    let mut run: Value = serde_json::from_str(
        &std::fs::read_to_string(crate::repo_path(
            "tests/fixtures/mlflow/3.17.2/runs_get_good_v1.json",
        ))
        .unwrap(),
    )
    .unwrap();
    let data = &mut run["run"]["data"];
    let params = data["params"].as_array_mut().unwrap();
    params.push(json!({ "key": key, "value": secret }));
    params.push(json!({ "key": shaped, "value": "0.5" }));
    params.push(json!({ "key": "config", "value": json!({ "password": secret }).to_string() }));
    data["tags"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "key": "deploy.note", "value": format!("uses {shaped} today") }));
    run.to_string()
}

/// Every text the live check writes, the snapshot saved of the same version, and what a
/// promotion (red, so not moved, but recorded) writes to the registry and says.
fn outputs(dir: &Path, uri: &str) -> Vec<(String, String)> {
    let model = format!("models:/{}/1", crate::oss_mock::MODEL);
    let out = |name: &str| dir.join(name);
    let assert = mlgate()
        .args(["check", &model, "--tracking-uri", uri, "--no-config"])
        .arg("--policy")
        .arg(out("quoting.toml"))
        .args([
            "--report",
            "report.md",
            "--junit",
            "junit.xml",
            "--json",
            "results.json",
        ])
        .args([
            "--sarif",
            "results.sarif",
            "--codequality",
            "cq.json",
            "--github",
        ])
        .current_dir(dir)
        .env("GITHUB_STEP_SUMMARY", out("summary.md"))
        .env("GITHUB_OUTPUT", out("outputs"))
        .assert()
        .code(1);
    let output = assert.get_output();
    mlgate()
        .args(["snapshot", &model, "--tracking-uri", uri, "-o"])
        .arg(out("saved.json"))
        .assert()
        .success();
    let promoted = mlgate()
        .args([
            "promote",
            &model,
            "--to-alias",
            "gate",
            "--tracking-uri",
            uri,
            "--no-config",
        ])
        .arg("--policy")
        .arg(out("quoting.toml"))
        .assert()
        .code(1);
    let mut texts = Vec::new();
    for (name, said) in [("check", output), ("promote", promoted.get_output())] {
        texts.push((
            format!("{name} stdout"),
            String::from_utf8_lossy(&said.stdout).into_owned(),
        ));
        texts.push((
            format!("{name} stderr"),
            String::from_utf8_lossy(&said.stderr).into_owned(),
        ));
    }
    for name in [
        "report.md",
        "junit.xml",
        "results.json",
        "results.sarif",
        "cq.json",
        "summary.md",
        "outputs",
        "saved.json",
    ] {
        let text = std::fs::read_to_string(out(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        texts.push((name.into(), text));
    }
    texts
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 24,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn no_output_holds_a_secret(
        key in prop::sample::select(&KEYS[..]),
        (value, runs) in secret(),
        token in "[A-Za-z0-9]{36}",
        shape in 0..SHAPES.len(),
    ) {
        let shaped = SHAPES[shape](&token);
        // The part of the token the shape holds (the AWS key holds it upper-cased).
        let needle = [token[..16].to_string(), token[..16].to_uppercase()]
            .into_iter()
            .find(|n| shaped.contains(n.as_str()))
            .unwrap();
        let body = run_with(key, &value, &shaped);
        let writes = Arc::new(Mutex::new(Vec::new()));
        let written = Arc::clone(&writes);
        let server = crate::oss_mock::with_fault(move |r: &Request| {
            if r.method != "GET" {
                written.lock().unwrap().push(format!("{} {} {}", r.method, r.path, r.body));
                return Some(Response::json(200, "{}"));
            }
            (r.path == "/api/2.0/mlflow/runs/get").then(|| Response::json(200, body.clone()))
        });
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("quoting.toml"), QUOTING).unwrap();
        let mut texts = outputs(dir.path(), &server.url);
        let writes = writes.lock().unwrap().join("\n");
        prop_assert!(writes.contains("mlgate.verdict"), "the verdict was not recorded: {}\n{:?}", writes, texts.iter().filter(|(n, _)| n.starts_with("promote")).collect::<Vec<_>>());
        texts.push(("registry writes".into(), writes));
        for (name, text) in &texts {
            for run in &runs {
                prop_assert!(!text.contains(run.as_str()), "{} of {:?} leaked into {}:\n{}", run, value, name, text);
            }
            prop_assert!(!text.contains(&needle), "{} leaked into {}:\n{}", shaped, name, text);
        }
        // The rules saw the real values: every one failed (or erred on the table).
        let results: Value = serde_json::from_str(&texts.iter().find(|(n, _)| n == "results.json").unwrap().1).unwrap();
        let outcomes = crate::outcomes(&results);
        prop_assert_eq!(outcomes["params-short"].as_str(), "fail");
        prop_assert_eq!(outcomes["params-numeric"].as_str(), "fail");
    }
}

/// A number under a key that mentions tokens is not a secret, and an equal number elsewhere
/// (a metric, a message) is never redacted: only values long and random enough to be the
/// secret are recognised away from their key.
#[test]
fn a_number_under_a_token_key_redacts_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = crate::patched_fixture(dir.path(), "examples/dolly3b.snapshot.json", |s| {
        s["run"]["params"]["token_budget"] = "0.85".into();
        s["run"]["params"]["eos_token"] = "</s>".into();
        s["run"]["params"]["db_password"] = "0.85".into();
        s["run"]["metrics"]["auc"] = json!({ "value": 0.85, "timestamp": 0, "step": 0 });
    });
    let policy = dir.path().join("auc.toml");
    std::fs::write(
        &policy,
        r#"
[policy]
name = "auc"

[[rule]]
id = "auc-high"
title = "AUC is high"
severity = "error"
description = "Quotes a number equal to a redacted one."
select = "run.metrics.auc"
check = { min = 0.9 }
message = "auc {value}"
"#,
    )
    .unwrap();
    let report = dir.path().join("report.md");
    let assert = mlgate()
        .args(["check", "--no-config", "--snapshot"])
        .arg(&snapshot)
        .arg("--policy")
        .arg(&policy)
        .arg("--report")
        .arg(&report)
        .assert()
        .code(1);
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(stdout.contains("auc-high: auc 0.85"), "{stdout}");
    let report = std::fs::read_to_string(report).unwrap();
    assert!(report.contains("|token_budget|0.85|"), "{report}");
    assert!(report.contains("|eos_token|&lt;/s&gt;|"), "{report}");
    assert!(!report.contains("|db_password|0.85|"), "{report}");
}

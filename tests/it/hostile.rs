//! Hostile input (issue 10): files and flags built to break mlgate must end in a usage error
//! or a verdict, never a panic, a silent overwrite or a quietly widened rule.

use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

use crate::{mlgate, patched_fixture, repo_path};

/// 70,000 characters: past the 65,535 columns at which miette's renderer used to panic.
fn long() -> String {
    "x".repeat(70_000)
}

/// Exit 2 with a readable diagnostic (never 101), the label's real column said.
fn refused(assert: assert_cmd::assert::Assert, code: &str) {
    let out = assert.code(2).get_output().clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains(code), "{stderr}");
    assert!(stderr.contains("(column 70"), "{stderr}");
    assert!(
        stderr.lines().all(|l| l.len() < 1000),
        "a line was not clipped"
    );
}

const RULE: &str = "[[rule]]\nid = \"r\"\ntitle = \"t\"\nseverity = \"error\"\ndescription = \"d\"\nselect = \"run.params\"\ncheck = { non_empty = true }\n";

#[test]
fn a_problem_past_column_65535_of_a_policy_is_a_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.toml");
    std::fs::write(
        &path,
        format!("{RULE}message = \"{}\" ; bogus = 1\n", long()),
    )
    .unwrap();
    refused(mlgate().arg("lint").arg(&path).assert(), "policy::syntax");
    let path = dir.path().join("inline.toml");
    std::fs::write(
        &path,
        format!("rule = [{{ id = \"r\", title = \"t\", severity = \"error\", description = \"{}\", select = \"run.params\", check = {{ non_emtpy = true }} }}]\n", long()),
    )
    .unwrap();
    refused(
        mlgate().arg("lint").arg(&path).assert(),
        "policy::unknown-check",
    );
}

#[test]
fn a_problem_past_column_65535_of_a_waiver_is_a_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("waivers.toml");
    std::fs::write(
        &path,
        format!("waiver = [{{ rule = \"users-group-can-manage\", reason = \"{}\", owner = \"o\", expires = 2099-01-01, colour = 1 }}]\n", long()),
    )
    .unwrap();
    refused(
        mlgate()
            .args([
                "check",
                "--example",
                "--no-config",
                "--policy",
                "builtin:baseline",
                "--policy",
            ])
            .arg(&path)
            .assert(),
        "policy::unknown-key",
    );
}

#[test]
fn an_expired_waiver_far_along_a_line_warns_without_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("waivers.toml");
    // The second waiver starts past column 70,000.
    let text = format!("waiver = [{{ rule = \"users-group-can-manage\", reason = \"{}\", owner = \"o\", expires = 2000-01-01 }}, {{ rule = \"users-group-can-manage\", reason = \"r\", owner = \"o\", expires = 2000-01-01 }}]\n", long());
    std::fs::write(&path, text).unwrap();
    let out = mlgate()
        .args([
            "check",
            "--example",
            "-q",
            "--no-config",
            "--policy",
            "builtin:baseline",
            "--waivers",
        ])
        .arg(&path)
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains("waiver::expired") && stderr.contains("(column 70"),
        "{stderr}"
    );
}

#[test]
fn a_problem_past_column_65535_of_a_test_file_is_a_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.test.toml");
    std::fs::write(
        &path,
        format!(
            "policies = [\"{}\"]\ncase = [{{ name = \"{}\", snapshot = \"builtin:example\", expect = {{ no-such-rule = \"pass\" }} }}]\n",
            repo_path("policies/baseline.toml").display(),
            long()
        ),
    )
    .unwrap();
    refused(mlgate().arg("test").arg(&path).assert(), "no-such-rule");
}

#[test]
fn a_waiver_with_no_versions_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("waivers.toml");
    std::fs::write(
        &path,
        "[[waiver]]\nrule = \"users-group-can-manage\"\nversions = []\nreason = \"r\"\nowner = \"o\"\nexpires = 2099-01-01\n",
    )
    .unwrap();
    mlgate()
        .args(["check", "--example", "-q", "--no-config", "--waivers"])
        .arg(&path)
        .assert()
        .code(2)
        .stderr(contains("waiver `versions` is empty"))
        .stderr(contains("leave `versions` out"));
}

/// A snapshot file cannot vouch for its own ranks: `users` at CAN_MANAGE claiming `read`
/// still fails the rule.
#[test]
fn a_stored_rank_is_recomputed_from_the_level() {
    let dir = tempfile::tempdir().unwrap();
    let path = patched_fixture(dir.path(), "examples/dolly3b.snapshot.json", |s| {
        let entries = s["permissions"]["registered_model"]["entries"]
            .as_array_mut()
            .unwrap();
        let users = entries
            .iter_mut()
            .find(|e| e["principal"] == "users")
            .expect("the example grants `users`");
        assert_eq!(users["level"], "CAN_MANAGE");
        users["rank"] = "read".into();
    });
    let json = dir.path().join("results.json");
    mlgate()
        .args(["check", "-q", "--no-config", "--snapshot"])
        .arg(&path)
        .arg("--json")
        .arg(&json)
        .assert()
        .code(1);
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    assert_eq!(crate::outcomes(&results)["users-group-can-manage"], "fail");
}

/// One 2 MB message among several rules: every rule id and outcome stays in the job summary,
/// which stays under GitHub's 1 MiB cap.
#[test]
fn one_huge_message_does_not_empty_the_job_summary() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = patched_fixture(dir.path(), "examples/dolly3b.snapshot.json", |s| {
        s["registered_model"]["description"] = "y".repeat(2_000_000).into();
    });
    let policy = dir.path().join("huge.toml");
    std::fs::write(
        &policy,
        "[[rule]]\nid = \"aaa-huge-message\"\ntitle = \"t\"\nseverity = \"error\"\ndescription = \"d\"\nselect = \"registered_model.description\"\ncheck = { max_length = 10 }\nmessage = \"{value}\"\n",
    )
    .unwrap();
    let summary = dir.path().join("summary.md");
    mlgate()
        .args(["check", "-q", "--github", "--no-config", "--policy"])
        .arg(&policy)
        .args(["--policy", "builtin:baseline", "--snapshot"])
        .arg(&snapshot)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env_remove("GITHUB_OUTPUT")
        .assert()
        .code(1);
    let summary = std::fs::read_to_string(summary).unwrap();
    assert!(summary.len() < 1024 * 1024, "{} bytes", summary.len());
    assert!(summary.contains("| `aaa-huge-message` | error | fail | yyy"));
    assert!(summary.contains("yyy…"));
    for (id, outcome) in [
        ("users-group-can-manage", "fail"),
        ("empty-params", "fail"),
        ("missing-signature", "pass"),
        ("version-not-ready", "pass"),
    ] {
        assert!(
            summary.contains(&format!("| `{id}` | error | {outcome} |")),
            "{id} missing"
        );
    }
    assert!(!summary.contains("truncated"));
}

#[test]
fn bad_escapes_in_a_model_name_are_usage_errors() {
    for (reference, escape) in [
        ("models:/a%+0b/1", "`%+0`"),
        ("models:/a%00b/1", "`%00`"),
        ("models:/a%zzb/1", "`%zz`"),
    ] {
        mlgate()
            .args([
                "check",
                reference,
                "--no-config",
                "--tracking-uri",
                "http://127.0.0.1:9",
            ])
            .assert()
            .code(2)
            .stderr(contains(escape));
    }
}

#[test]
fn two_outputs_to_one_file_are_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let same = dir.path().join("out.json");
    let dotted = dir.path().join(".").join("out.json");
    mlgate()
        .args(["check", "--example", "-q", "--report"])
        .arg(&same)
        .arg("--json")
        .arg(&same)
        .assert()
        .code(2)
        .stderr(contains("--report").and(contains("--json")));
    mlgate()
        .args(["check", "--example", "-q", "--junit"])
        .arg(&same)
        .arg("--sarif")
        .arg(&dotted)
        .assert()
        .code(2)
        .stderr(contains("--junit").and(contains("--sarif")));
    assert!(!same.exists(), "nothing is written");
}

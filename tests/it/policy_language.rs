//! Policy language v1 end to end: `mlgate test`, waivers, promotion scopes, severity
//! overrides, `mlgate.toml`, lint / rules / explain, and the diagnostics of waivers and test
//! files.

use predicates::str::contains;

use crate::{mlgate, repo_path};

#[test]
fn bundled_policy_tests_pass() {
    mlgate()
        .args(["test", "policies/tests"])
        .assert()
        .code(0)
        .stdout(contains("cases: "))
        .stdout(contains(" 0 failed"));
}

#[test]
fn a_wrong_expectation_fails_with_a_readable_diff() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("wrong.test.toml");
    let baseline = repo_path("policies/baseline.toml");
    std::fs::write(
        &file,
        format!(
            "policies = [{baseline:?}]\n\n[[case]]\nname = \"expects a pass where the example fails\"\nsnapshot = \"builtin:example\"\n[case.expect]\nempty-params = \"pass\"\nmissing-description = \"pass\"\n"
        ),
    )
    .unwrap();
    let junit = dir.path().join("tests.xml");
    let out = mlgate()
        .arg("test")
        .arg(&file)
        .arg("--junit")
        .arg(&junit)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("FAIL"), "{out}");
    assert!(out.contains("empty-params\n         - expected: pass\n         + actual:   fail  source run abbe441c4d9f4b69a9943e4beb71ce89 logged no parameters"), "{out}");
    assert!(
        !out.contains("missing-description\n"),
        "only mismatches are listed: {out}"
    );
    assert!(out.contains("cases: 0 passed, 1 failed"), "{out}");
    let xml = std::fs::read_to_string(junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("failure"))
            .count(),
        1
    );
    // Stamped with when it ran, not the Unix epoch.
    let stamp = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .and_then(|n| n.attribute("timestamp"))
        .unwrap();
    assert!(stamp.get(..4).is_some_and(|y| y >= "2026"), "{stamp}");
}

fn waivers_file(dir: &std::path::Path, expires: &str, model: &str) -> std::path::PathBuf {
    let path = dir.join("waivers.toml");
    std::fs::write(
        &path,
        format!(
            "[[waiver]]\nrule = \"users-group-can-manage\"\nmodel = \"{model}\"\nreason = \"registry-wide default, removed in the December review\"\nowner = \"ml-platform@example.com\"\nexpires = {expires}\n"
        ),
    )
    .unwrap();
    path
}

#[test]
fn a_valid_waiver_turns_a_failure_into_junit_skipped_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let waivers = waivers_file(dir.path(), "2026-12-31", "dolly*");
    let junit = dir.path().join("j.xml");
    mlgate()
        .args(["check", "--example", "--now", "2026-11-26", "--waivers"])
        .arg(&waivers)
        .arg("--junit")
        .arg(&junit)
        .assert()
        .code(1) // empty-params still fails
        .stdout(contains("waived"));
    let xml = std::fs::read_to_string(junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let case = doc
        .descendants()
        .find(|n| {
            n.has_tag_name("testcase") && n.attribute("name") == Some("users-group-can-manage")
        })
        .unwrap();
    let skipped = case
        .children()
        .find(|n| n.has_tag_name("skipped"))
        .expect("waived is JUnit skipped");
    let message = skipped.attribute("message").unwrap();
    for part in ["ml-platform@example.com", "2026-12-31", "December review"] {
        assert!(message.contains(part), "{message}");
    }
}

#[test]
fn an_expired_waiver_stops_applying_and_warns_with_its_span() {
    let dir = tempfile::tempdir().unwrap();
    let waivers = waivers_file(dir.path(), "2026-12-31", "dolly*");
    let out = mlgate()
        .args([
            "check",
            "--example",
            "--now",
            "2027-01-01",
            "--json",
            "/dev/null",
            "--waivers",
        ])
        .arg(&waivers)
        .assert()
        .code(1)
        .stdout(contains("FAIL   error   users-group-can-manage"))
        .get_output()
        .stderr
        .clone();
    let stderr = String::from_utf8(out).unwrap();
    assert!(stderr.contains("waiver::expired"), "{stderr}");
    assert!(stderr.contains("expired on 2026-12-31"), "{stderr}");
    assert!(
        stderr.contains("waivers.toml:1:1"),
        "the warning points at the waiver: {stderr}"
    );
}

#[test]
fn an_unmatched_waiver_warns() {
    let dir = tempfile::tempdir().unwrap();
    let waivers = waivers_file(dir.path(), "2026-12-31", "churn-*");
    mlgate()
        .args(["check", "--example", "--now", "2026-11-26", "--waivers"])
        .arg(&waivers)
        .assert()
        .code(1)
        .stderr(contains("waiver::unmatched"))
        .stderr(contains("matched nothing"));
}

fn outcomes_of(args: &[&str]) -> std::collections::BTreeMap<String, String> {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let _ = mlgate()
        .args(args)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    crate::outcomes(&results)
}

#[test]
fn target_alias_champion_turns_on_the_production_rules() {
    let base = [
        "check",
        "--example",
        "-q",
        "--policy",
        "builtin:baseline",
        "--policy",
        "builtin:production",
    ];
    let before = outcomes_of(&base);
    let mut with_target = base.to_vec();
    with_target.extend(["--target-alias", "champion"]);
    let after = outcomes_of(&with_target);
    for rule in [
        "prod-missing-git-commit",
        "prod-no-metrics",
        "prod-no-dataset-inputs",
    ] {
        assert_eq!(before[rule], "skipped", "{rule} is off without a target");
        assert_eq!(
            after[rule], "fail",
            "{rule} fails when promoting the example to @champion"
        );
    }
    assert_eq!(after["prod-missing-input-example"], "pass");
    assert_eq!(
        before["users-group-can-manage"], after["users-group-can-manage"],
        "baseline rules are unaffected"
    );
}

#[test]
fn severity_overrides_change_the_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let path = crate::patched_fixture(
        dir.path(),
        "tests/fixtures/snapshots/dolly3b-remediated.snapshot.json",
        |s| s["run"]["metrics"] = serde_json::json!({}),
    );
    mlgate()
        .args(["check", "-q", "--snapshot"])
        .arg(&path)
        .assert()
        .code(0);
    mlgate()
        .args([
            "check",
            "-q",
            "--severity",
            "no-metrics=error",
            "--snapshot",
        ])
        .arg(&path)
        .assert()
        .code(1);
    mlgate()
        .args(["check", "-q", "--severity", "no-metric=error", "--snapshot"])
        .arg(&path)
        .assert()
        .code(2)
        .stderr(contains("did you mean `no-metrics`?"));
}

#[test]
fn project_config_is_found_upward_and_sets_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("ci/job");
    std::fs::create_dir_all(&nested).unwrap();
    std::fs::write(
        dir.path().join("mlgate.toml"),
        "policies = [\"builtin:baseline\", \"builtin:production\"]\nfail_on = \"warning\"\n[severity]\nno-metrics = \"info\"\n",
    )
    .unwrap();
    let example = crate::repo_path("examples/dolly3b.snapshot.json");
    let mut cmd = mlgate();
    cmd.current_dir(&nested).args(["rules"]);
    let out = String::from_utf8(cmd.assert().code(0).get_output().stdout.clone()).unwrap();
    assert!(
        out.contains("prod-missing-git-commit"),
        "config policies in effect: {out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("no-metrics") && l.contains("info")),
        "{out}"
    );
    let mut cmd = mlgate();
    cmd.current_dir(&nested)
        .args(["check", "--snapshot"])
        .arg(&example)
        .arg("--no-config");
    cmd.assert().code(1).stdout(contains("at --fail-on error"));
    let mut cmd = mlgate();
    cmd.current_dir(&nested)
        .args(["check", "--snapshot"])
        .arg(&example);
    cmd.assert()
        .code(1)
        .stdout(contains("at --fail-on warning"));
}

#[test]
fn lint_rules_and_explain() {
    mlgate()
        .args([
            "lint",
            "policies/baseline.toml",
            "policies/production.toml",
            "policies/databricks.toml",
        ])
        .assert()
        .code(0)
        .stdout(contains("ok: "));
    mlgate()
        .args(["lint", "tests/fixtures/policies/unknown-check.toml"])
        .assert()
        .code(2);
    let rules = mlgate()
        .args(["rules", "--no-config", "--policy", "builtin:production"])
        .output()
        .unwrap();
    insta::assert_snapshot!("rules_production", String::from_utf8(rules.stdout).unwrap());
    let explain = mlgate()
        .args(["explain", "--no-config", "users-group-can-manage"])
        .output()
        .unwrap();
    insta::assert_snapshot!(
        "explain_users_group",
        String::from_utf8(explain.stdout).unwrap()
    );
    mlgate()
        .args(["explain", "--no-config", "users-group-can-manag"])
        .assert()
        .code(2)
        .stderr(contains("did you mean `users-group-can-manage`?"));
}

//! A fact absent from a section that was gathered makes a rule fail (exit 1), saying what is
//! missing; a section that was not gathered makes it an error (exit 3).

use crate::{mlgate, outcomes, patched_fixture};

const POLICY: &str = r#"
[[rule]]
id = "unreviewed-version"
title = "The version names its reviewer"
severity = "error"
description = "Every version is reviewed by a named person."
select = "model_version.tags.reviewed_by"
check = { matches = '^[a-z.]+@example\.com$' }
"#;

/// Checks the fixture changed by `change` against the policy; (exit code, finding, summary).
fn check(change: impl FnOnce(&mut serde_json::Value)) -> (i32, serde_json::Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("team.toml");
    std::fs::write(&policy, POLICY).unwrap();
    let snapshot = patched_fixture(
        dir.path(),
        "policies/tests/fixtures/good.snapshot.json",
        change,
    );
    let results = dir.path().join("results.json");
    let out = mlgate()
        .args(["check", "--no-config", "--policy"])
        .arg(&policy)
        .arg("--snapshot")
        .arg(&snapshot)
        .arg("--json")
        .arg(&results)
        .output()
        .unwrap();
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&results).unwrap()).unwrap();
    assert_eq!(outcomes(&results).len(), 1);
    (
        out.status.code().unwrap(),
        results["findings"][0].clone(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn a_tag_absent_from_the_gathered_version_fails_with_exit_1() {
    let (code, finding, summary) =
        check(|s| s["model_version"]["tags"] = serde_json::json!({"team": "risk"}));
    assert_eq!(code, 1, "{finding}");
    assert!(
        summary.contains("FAIL   error   unreviewed-version: The version names its reviewer: model_version has no tag `reviewed_by`"),
        "{summary}"
    );
    assert_eq!(finding["outcome"], "fail");
    assert_eq!(
        finding["message"],
        "The version names its reviewer: model_version has no tag `reviewed_by`"
    );
}

#[test]
fn a_version_that_was_not_gathered_is_an_error_with_exit_3() {
    let (code, finding, summary) = check(|s| {
        s.as_object_mut().unwrap().remove("model_version");
    });
    assert_eq!(code, 3, "{finding}");
    assert!(
        summary.contains("ERROR  error   unreviewed-version: could not evaluate"),
        "{summary}"
    );
    assert_eq!(finding["outcome"], "error");
    assert_eq!(
        finding["message"],
        "could not evaluate: section `model_version` was not gathered"
    );
}

#[test]
fn a_tag_that_is_there_decides_by_its_value() {
    let (code, finding, _) = check(|s| {
        s["model_version"]["tags"]["reviewed_by"] = "ana@example.com".into();
    });
    assert_eq!((code, &finding["outcome"]), (0, &"pass".into()));
}

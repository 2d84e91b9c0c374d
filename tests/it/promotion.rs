//! Comparing a candidate with the incumbent end to end: `mlgate check` on a saved promotion
//! snapshot reports each regression and incompatible column by name, skips the comparisons
//! when no version holds the target, and says how to get an incumbent when there is none.

use predicates::str::contains;

use crate::{mlgate, outcomes, patched_fixture};

const FIXTURE: &str = "policies/tests/fixtures/promotion.snapshot.json";
const POLICY: &str = "policies/tests/promotion/promotion.toml";

#[test]
fn a_regression_and_each_incompatible_column_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = patched_fixture(dir.path(), FIXTURE, |s| {
        s["run"]["metrics"]["auc"]["value"] = 0.85.into();
        s["incumbent"]["run"]["metrics"]["auc"]["value"] = 0.9.into();
        s["mlflow_model"]["signature"]["inputs"] = serde_json::json!([
            {"type": "string", "name": "income"},
            {"type": "double", "name": "debt_ratio"},
            {"type": "string", "name": "zip"}
        ]);
    });
    mlgate()
        .args(["check", "--policy", POLICY, "--target-alias", "champion", "--snapshot"])
        .arg(&snapshot)
        .assert()
        .code(1)
        .stdout(contains(
            "auc 0.850 is worse than the incumbent's 0.900 by 0.050 (allowed: 0.005)",
        ))
        .stdout(contains(
            "input \"age\" removed; input \"income\" retyped double → string; new required input \"zip\"",
        ));
}

#[test]
fn a_first_promotion_skips_the_comparisons_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = patched_fixture(dir.path(), FIXTURE, |s| {
        s["incumbent"] = serde_json::json!({"holds": "@champion"});
        s["unavailable"] =
            serde_json::json!([{"section": "incumbent", "reason": "no version holds @champion"}]);
    });
    let json = dir.path().join("results.json");
    mlgate()
        .args([
            "check",
            "--policy",
            POLICY,
            "--target-alias",
            "champion",
            "--snapshot",
        ])
        .arg(&snapshot)
        .arg("--json")
        .arg(&json)
        .assert()
        .code(0);
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    let found = outcomes(&results);
    assert_eq!(found["auc-regressed"], "skipped");
    assert_eq!(found["signature-incompatible"], "skipped");
    assert_eq!(found["auc-below-floor"], "pass");
    let detail = results["findings"][0]["detail"].as_str().unwrap();
    assert!(detail.contains("no version holds @champion"), "{detail}");
}

#[test]
fn a_promotion_snapshot_without_an_incumbent_says_how_to_gather_one() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = patched_fixture(dir.path(), FIXTURE, |s| {
        s.as_object_mut().unwrap().remove("incumbent");
    });
    mlgate()
        .args(["check", "--policy", POLICY, "--target-stage", "Production", "--snapshot"])
        .arg(&snapshot)
        .assert()
        .code(3)
        .stdout(contains(
            "the incumbent is gathered by `mlgate promote`, or by `check` with --target-alias/--target-stage",
        ));
}

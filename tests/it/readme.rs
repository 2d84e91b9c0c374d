//! The documented example policy and its test file (in `docs/policies.md`, found wherever they
//! sit in the README or `docs/`) are real: they load and their cases pass.

use crate::markdown::block_starting;
use crate::{mlgate, repo_path};

#[test]
fn readme_policy_and_test_file_work() {
    let policy = block_starting("toml", "# policies/team.toml");
    let test = block_starting("toml", "# policies/tests/team.test.toml");
    let dir = tempfile::tempdir().unwrap();
    let fixtures = dir.path().join("policies/tests/fixtures");
    std::fs::create_dir_all(&fixtures).unwrap();
    std::fs::copy(
        repo_path("policies/tests/fixtures/good.snapshot.json"),
        fixtures.join("good.snapshot.json"),
    )
    .unwrap();
    std::fs::write(dir.path().join("policies/team.toml"), policy).unwrap();
    std::fs::write(dir.path().join("policies/tests/team.test.toml"), test).unwrap();
    mlgate()
        .current_dir(dir.path())
        .args(["lint", "policies/team.toml"])
        .assert()
        .code(0);
    mlgate()
        .current_dir(dir.path())
        .args(["test", "policies/tests"])
        .assert()
        .code(0);

    // The accuracy message reads as a sentence: `{value}` of a metric is its number, not the
    // metric's JSON (`{"value":0.7,"timestamp":…}`).
    let snapshot = crate::patched_fixture(
        dir.path(),
        "policies/tests/fixtures/good.snapshot.json",
        |s| {
            s["registered_model"]["name"] = "credit-eu".into();
            s["target"]["name"] = "credit-eu".into();
            s["run"]["metrics"]["accuracy"] =
                serde_json::json!({"value": 0.7, "timestamp": 1_700_000_000_000_i64, "step": 12});
        },
    );
    let results = dir.path().join("results.json");
    mlgate()
        .current_dir(dir.path())
        .args(["check", "--no-config", "--policy", "policies/team.toml"])
        .args(["--target-alias", "champion", "--snapshot"])
        .arg(&snapshot)
        .arg("--json")
        .arg(&results)
        .assert()
        .code(1);
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&results).unwrap()).unwrap();
    let accuracy = results["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "accuracy-below-floor")
        .expect("the accuracy finding");
    assert_eq!(accuracy["outcome"], "fail");
    let message = accuracy["message"].as_str().unwrap();
    assert_eq!(message, "accuracy 0.7 is below 0.8");
    assert!(!message.contains("{\"value\":"), "{message}");
}

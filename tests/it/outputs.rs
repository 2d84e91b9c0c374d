//! SARIF and GitHub Actions outputs.

use predicates::str::contains;

use crate::{mlgate, repo_path};

fn rule_line(id: &str) -> usize {
    let text = std::fs::read_to_string(repo_path("policies/baseline.toml")).unwrap();
    1 + text
        .lines()
        .position(|l| l == format!("id = \"{id}\""))
        .expect("rule in the baseline")
}

#[test]
fn sarif_results_are_anchored_at_the_rule_in_its_policy_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.sarif");
    // The baseline as a file of this repository (not the bundled pack, which is in none).
    mlgate()
        .env_remove("GITHUB_WORKSPACE")
        .args([
            "check",
            "--example",
            "-q",
            "--policy",
            "policies/baseline.toml",
        ])
        .arg("--sarif")
        .arg(&path)
        .assert()
        .code(1);
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(doc["version"], "2.1.0");
    let run = &doc["runs"][0];
    let results = run["results"].as_array().unwrap();
    assert_eq!(
        results.len(),
        4,
        "3 failures and 1 evaluation error; passes are not results"
    );
    for r in results {
        let location = &r["locations"][0]["physicalLocation"];
        assert_eq!(
            location["artifactLocation"],
            serde_json::json!({ "uri": "policies/baseline.toml", "uriBaseId": "%SRCROOT%" }),
            "GitHub rejects results without a file"
        );
        assert!(location["region"]["startLine"].as_u64().unwrap() >= 1);
        assert_eq!(
            r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
            "models:/dolly3b/1"
        );
    }
    let users = results
        .iter()
        .find(|r| r["ruleId"] == "users-group-can-manage")
        .unwrap();
    assert_eq!(
        users["locations"][0]["physicalLocation"]["region"]["startLine"],
        rule_line("users-group-can-manage")
    );
    assert!(
        run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
            .as_str()
            .unwrap()
            .contains("not a experiment")
    );
}

#[test]
fn github_annotations_summary_and_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let (summary, outputs) = (dir.path().join("summary.md"), dir.path().join("outputs"));
    let line = rule_line("users-group-can-manage");
    mlgate()
        .args(["check", "--example", "-q", "--github"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &outputs)
        .assert()
        .code(1)
        .stdout(contains(format!(
            "::error file=policies/baseline.toml,line={line},title=users-group-can-manage%3A The `users` group must not be able to manage the registered model::models:/dolly3b/1: users-group-can-manage failed"
        )))
        .stdout(contains("::warning file=policies/baseline.toml"));
    let summary = std::fs::read_to_string(summary).unwrap();
    assert!(
        summary.starts_with("### mlgate: FAIL — models:/dolly3b/1"),
        "{summary}"
    );
    assert!(summary.contains("| `empty-params` | error | fail |"));
    let outputs = std::fs::read_to_string(outputs).unwrap();
    assert!(
        outputs.contains("verdict=fail\n") && outputs.contains("fail=3\n"),
        "{outputs}"
    );
}

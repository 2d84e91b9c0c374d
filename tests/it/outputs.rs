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
    // The unevaluable rule was kept from evaluation by a failed call: said once, as the
    // call's notification, not as a result (issue 19: one outage, one error).
    assert_eq!(
        results.len(),
        3,
        "3 failures; passes and blocked rules are not results"
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
    // The baseline as a file of this repository: annotations at the rule's line.
    mlgate()
        .env_remove("GITHUB_WORKSPACE")
        .args(["check", "--example", "-q", "--github"])
        .args(["--policy", "policies/baseline.toml"])
        .assert()
        .code(1)
        .stdout(contains(format!(
            "::error file=policies/baseline.toml,line={line},title=users-group-can-manage%3A The `users` group must not be able to manage the registered model::models:/dolly3b/1: users-group-can-manage failed"
        )))
        .stdout(contains("::warning file=policies/baseline.toml"));
    // The bundled pack is in no file of the user's repository: no `file=`, the run shows it.
    let assert = mlgate()
        .env_remove("GITHUB_WORKSPACE")
        .env_remove("GITHUB_WORKFLOW_REF")
        .env_remove("CI_CONFIG_PATH")
        .args(["check", "--example", "-q", "--github"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &outputs)
        .assert()
        .code(1)
        .stdout(contains(
            "::error title=mlgate%3A gather errors::1 call failed while gathering models:/dolly3b/1",
        ))
        .stdout(contains(
            "::error title=users-group-can-manage%3A The `users` group must not be able to manage the registered model::models:/dolly3b/1: users-group-can-manage failed",
        ))
        // The rule the failed call blocked is listed with it (issue 19: one outage, one error).
        .stdout(contains(
            "(1 rule could not be evaluated: experiment-users-group-can-manage)",
        ));
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout);
    assert!(!stdout.contains("file="), "{stdout}");
    assert!(!stdout.contains("could not be evaluated: could not evaluate"));
    let summary = std::fs::read_to_string(summary).unwrap();
    assert!(
        summary.starts_with("### mlgate: FAIL — models:/dolly3b/1"),
        "{summary}"
    );
    assert!(summary.contains("| `empty-params` | error | fail |"));
    assert!(
        summary.contains("#### Gather errors") && !summary.contains("#### Waivers"),
        "{summary}"
    );
    let outputs = std::fs::read_to_string(outputs).unwrap();
    assert!(
        outputs.contains("verdict=fail\n") && outputs.contains("fail=3\n"),
        "{outputs}"
    );
}

/// A repository with an mlgate.toml enabling the baseline, and an expired waiver beside it.
fn config_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::create_dir(dir.path().join("ci")).unwrap();
    std::fs::write(
        dir.path().join("mlgate.toml"),
        "# gate\npolicies = [\"builtin:baseline\"]\nwaivers = [\"waivers.toml\"]\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("waivers.toml"),
        "[[waiver]]\nrule = \"no-metrics\"\nreason = \"metrics come later\"\nowner = \"ml-team\"\nexpires = \"2020-01-31\"\n",
    )
    .unwrap();
    dir
}

#[test]
fn waivers_reach_the_summary_and_annotations_at_the_config() {
    let repo = config_repo();
    let summary = repo.path().join("summary.md");
    let assert = mlgate()
        .current_dir(repo.path())
        .env_remove("GITHUB_WORKSPACE")
        .env_remove("GITHUB_WORKFLOW_REF")
        .args(["check", "--example", "-q", "--github"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .assert()
        .code(1)
        .stdout(contains(
            "::warning title=mlgate%3A waiver::waiver for `no-metrics` (owner ml-team) expired on 2020-01-31",
        ))
        // Bundled rules at the line of the config naming the pack.
        .stdout(contains(
            "::error file=mlgate.toml,line=2,title=users-group-can-manage%3A",
        ));
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr);
    assert!(stderr.contains("waiver::expired"), "{stderr}");
    let summary = std::fs::read_to_string(summary).unwrap();
    assert!(
        summary.contains("#### Waivers\n\n- waiver for \\`no-metrics\\`"),
        "{summary}"
    );
}

#[test]
fn codequality_points_at_the_config_or_the_gitlab_pipeline() {
    let repo = config_repo();
    let read = |path: &std::path::Path| -> Vec<serde_json::Value> {
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    mlgate()
        .current_dir(repo.path())
        .env_remove("GITHUB_WORKSPACE")
        .args(["check", "--example", "-q", "--codequality", "ci/cq.json"])
        .assert()
        .code(1);
    let issues = read(&repo.path().join("ci/cq.json"));
    assert_eq!(issues.len(), 4);
    for issue in &issues {
        assert_eq!(issue["location"]["path"], "mlgate.toml");
        assert_eq!(issue["location"]["lines"]["begin"], 2);
    }
    // Without a config, GitLab's pipeline file stands in.
    std::fs::write(
        repo.path().join(".gitlab-ci.yml"),
        "gate:\n  script:\n    - mlgate check\n",
    )
    .unwrap();
    let assert = mlgate()
        .current_dir(repo.path())
        .env_remove("GITHUB_WORKSPACE")
        .env_remove("GITHUB_WORKFLOW_REF")
        .env("CI_CONFIG_PATH", ".gitlab-ci.yml")
        .args([
            "check",
            "--example",
            "-q",
            "--no-config",
            "--codequality",
            "cq.json",
        ])
        .assert()
        .code(1);
    assert!(assert.get_output().stderr.is_empty());
    for issue in read(&repo.path().join("cq.json")) {
        assert_eq!(issue["location"]["path"], ".gitlab-ci.yml");
        assert_eq!(
            issue["location"]["lines"]["begin"], 3,
            "the line naming mlgate"
        );
    }
    // With nowhere to point: said on stderr, the pack named as the path.
    let assert = mlgate()
        .current_dir(repo.path())
        .env_remove("GITHUB_WORKSPACE")
        .env_remove("GITHUB_WORKFLOW_REF")
        .env_remove("CI_CONFIG_PATH")
        .args([
            "check",
            "--example",
            "-q",
            "--no-config",
            "--codequality",
            "cq.json",
        ])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr);
    assert!(
        stderr.contains("4 Code Quality issue(s) have no file"),
        "{stderr}"
    );
    for issue in read(&repo.path().join("cq.json")) {
        assert_eq!(issue["location"]["path"], "builtin:baseline");
    }
    // One file for two outputs is refused.
    mlgate()
        .current_dir(repo.path())
        .args([
            "check",
            "--example",
            "--codequality",
            "x.json",
            "--json",
            "x.json",
        ])
        .assert()
        .code(2)
        .stderr(contains("name the same file"));
}

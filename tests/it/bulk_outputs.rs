//! `check --all-models` takes every output flag a single `check` takes: against the replayed
//! MLflow 3.17 server (`oss_mock`) listing three versions of its one model, a run with
//! `--sarif --codequality --github --junit --json --report` writes a SARIF file valid against
//! the 2.1.0 schema, a Code Quality array with GitLab's documented fields, a JUnit file valid
//! against the Jenkins schema, GitHub annotations, the bulk summary as the job summary and the
//! bulk verdict as step outputs — one result per failing rule per version, with fingerprints
//! that name the model and the rule but never the version.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::mlgate;
use crate::mock_http::{Request, Response};
use crate::oss_mock::{self, MODEL};
use crate::schemas::{assert_valid_junit, assert_valid_sarif};

const VERSIONS: usize = 3;

/// Two rules that fail on every version the mock serves, one that passes.
const POLICY: &str = r#"
[[rule]]
id = "needs-owner-tag"
title = "The version names its owner"
severity = "error"
description = "d"
select = "model_version.tags.owner"
check = { exists = true }

[[rule]]
id = "needs-approval-tag"
title = "The version records its approval"
severity = "warning"
description = "d"
select = "model_version.tags.approved_by"
check = { exists = true }

[[rule]]
id = "has-a-run"
title = "The version has a source run"
severity = "error"
description = "d"
select = "model_version.run_id"
check = { non_empty = true }
"#;

/// The listings: one registered model with three versions (each answered like version 1).
fn three_versions(r: &Request) -> Option<Response> {
    if r.path == oss_mock::SEARCH_MODELS {
        return Some(oss_mock::listed_model());
    }
    if r.path == oss_mock::SEARCH_VERSIONS {
        return Some(oss_mock::listed_versions(VERSIONS));
    }
    None
}

#[test]
fn every_output_flag_of_check_works_for_a_whole_registry() {
    let server = oss_mock::with_fault(three_versions);
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    std::fs::write(path("policy.toml"), POLICY).unwrap();
    std::fs::write(path("mlgate.toml"), "").unwrap();
    let out = mlgate()
        .current_dir(dir.path())
        .args([
            "check",
            "--all-models",
            "--no-config",
            "--policy",
            "policy.toml",
        ])
        .args(["--tracking-uri", &server.url])
        .args([
            "--sarif",
            "s.sarif",
            "--codequality",
            "cq.json",
            "--junit",
            "j.xml",
        ])
        .args([
            "--json",
            "r.json",
            "--report",
            "audit.md",
            "--github",
            "--fail-on",
            "warning",
        ])
        .env("GITHUB_STEP_SUMMARY", path("summary.md"))
        .env("GITHUB_OUTPUT", path("output.txt"))
        .env_remove("MLFLOW_TRACKING_URI")
        .env_remove("MLFLOW_TRACKING_TOKEN")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}\n{stdout}");
    let read = |name: &str| std::fs::read_to_string(path(name)).unwrap();

    // SARIF: valid, one result per failing rule per version, one alert identity per rule.
    let sarif_text = read("s.sarif");
    assert_valid_sarif(&sarif_text);
    let sarif: Value = serde_json::from_str(&sarif_text).unwrap();
    let run = &sarif["runs"][0];
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 2 * VERSIONS, "{sarif_text}");
    let seen: BTreeSet<(String, String)> = results
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap().to_string(),
                r["properties"]["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(seen.len(), 2 * VERSIONS, "each (rule, version) once");
    let prints: BTreeSet<&str> = results
        .iter()
        .map(|r| r["partialFingerprints"]["mlgate/v1"].as_str().unwrap())
        .collect();
    assert_eq!(
        prints,
        BTreeSet::from([
            format!("needs-approval-tag|{MODEL}").as_str(),
            format!("needs-owner-tag|{MODEL}").as_str()
        ]),
        "per model and rule, never per version"
    );
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for r in results {
        let index = usize::try_from(r["ruleIndex"].as_u64().unwrap()).unwrap();
        assert_eq!(rules[index]["id"], r["ruleId"]);
    }
    assert_eq!(run["automationDetails"]["id"], "mlgate/all-models/");
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);

    // Code Quality: GitLab's fields, one issue per failing rule per version.
    let issues: Value = serde_json::from_str(&read("cq.json")).unwrap();
    let issues = issues.as_array().unwrap();
    assert_eq!(issues.len(), 2 * VERSIONS);
    for issue in issues {
        for key in ["description", "check_name", "fingerprint", "severity"] {
            assert!(issue[key].is_string(), "{key}: {issue}");
        }
        assert!(issue["location"]["path"].is_string());
        assert!(issue["location"]["lines"]["begin"].is_u64());
    }
    let fingerprints: BTreeSet<&str> = issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(fingerprints.len(), 2, "one identity per model and rule");

    // JUnit: valid, one suite per version.
    assert_valid_junit(&path("j.xml"));
    let junit = read("j.xml");
    let doc = roxmltree::Document::parse(&junit).unwrap();
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("testsuite"))
            .count(),
        VERSIONS
    );

    // GitHub: each version's failures annotated, the bulk summary and the bulk verdict.
    assert_eq!(
        stdout.matches("::error ").count() + stdout.matches("::warning ").count(),
        2 * VERSIONS,
        "{stdout}"
    );
    let summary = read("summary.md");
    assert!(summary.starts_with("# mlgate audit: FAIL"), "{summary}");
    assert!(
        summary.contains("3 versions of 1 model checked: 0 pass, 3 fail, 0 error"),
        "{summary}"
    );
    assert_eq!(
        read("audit.md"),
        summary,
        "--report and the job summary agree"
    );
    let outputs = read("output.txt");
    assert_eq!(
        outputs,
        "verdict=fail\nchecked=3\npass=0\nfail=3\nerror=0\n"
    );
    let results: Value = serde_json::from_str(&read("r.json")).unwrap();
    assert_eq!(results["summary"]["fail"], 3);
}

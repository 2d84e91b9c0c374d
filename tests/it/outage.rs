//! One outage, one error (issue 19): when the server cannot be reached, no rule can be
//! evaluated, and every output says so once — one terminal line naming the call and the rules
//! it blocked, one SARIF tool notification with `executionSuccessful: false` and no result,
//! one Code Quality issue, one JUnit error case listing the blocked rules, one row of the
//! Markdown verdict, one line of the GitHub job summary and one annotation — and the run still
//! ends on exit 3. The JSON keeps every rule's outcome and lists each failed call's rules.

use serde_json::Value;

use crate::mlgate;
use crate::schemas::{assert_valid_junit, assert_valid_sarif};

#[test]
fn an_unreachable_server_is_said_once_in_every_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = mlgate()
        .current_dir(dir.path())
        .args(["check", "models:/x/1", "--no-config"])
        // Port 9 (discard) is closed on test machines: the connection is refused at once.
        .args(["--tracking-uri", "http://127.0.0.1:9"])
        .args([
            "--sarif",
            "s.json",
            "--codequality",
            "cq.json",
            "--junit",
            "j.xml",
        ])
        .env_remove("MLFLOW_TRACKING_URI")
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();

    // Terminal: the model, one line for the outage naming the rules it blocked, the summary.
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(
        lines[1].contains("GATHER") && lines[1].contains("127.0.0.1:9"),
        "{stdout}"
    );
    assert!(
        lines[1].contains("12 rules could not be evaluated: users-group-can-manage, "),
        "{stdout}"
    );
    assert!(lines[2].starts_with("ERROR: 12 rules"), "{stdout}");
    assert!(
        !stdout.contains("could not evaluate"),
        "no line per rule: {stdout}"
    );
    assert!(stderr.lines().count() <= 3, "{stderr}");

    let sarif_text = read("s.json");
    assert_valid_sarif(&sarif_text);
    let sarif: Value = serde_json::from_str(&sarif_text).unwrap();
    let run = &sarif["runs"][0];
    assert_eq!(run["results"].as_array().unwrap().len(), 0, "{sarif_text}");
    let invocation = &run["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notifications = invocation["toolExecutionNotifications"].as_array().unwrap();
    assert_eq!(notifications.len(), 1, "{sarif_text}");
    let text = notifications[0]["message"]["text"].as_str().unwrap();
    assert!(text.contains("127.0.0.1:9") && text.contains("12 rules could not be evaluated"));

    let cq: Value = serde_json::from_str(&read("cq.json")).unwrap();
    let issues = cq.as_array().unwrap();
    assert_eq!(issues.len(), 1, "{cq}");
    assert_eq!(issues[0]["check_name"], "mlgate/gather");

    assert_valid_junit(&dir.path().join("j.xml"));
    let xml = read("j.xml");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let errors: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("error"))
        .collect();
    assert_eq!(errors.len(), 1, "{xml}");
    let case = errors[0].parent().unwrap();
    assert_eq!(case.attribute("name"), Some("gather"));
    let message = errors[0].attribute("message").unwrap();
    assert!(
        message.contains("12 rule(s) could not be evaluated: users-group-can-manage,"),
        "{message}"
    );
    let blocked = doc
        .descendants()
        .filter(|n| n.has_tag_name("skipped") && n.attribute("type") == Some("blocked"))
        .count();
    assert_eq!(blocked, 12, "each rule keeps its case, skipped as blocked");
}

#[test]
fn the_report_the_job_summary_and_json_say_it_once_too() {
    let dir = tempfile::tempdir().unwrap();
    let out = mlgate()
        .current_dir(dir.path())
        .args(["check", "models:/x/1", "--no-config"])
        .args(["--tracking-uri", "http://127.0.0.1:9"])
        .args(["--report", "r.md", "--json", "r.json", "--github"])
        .env_remove("MLFLOW_TRACKING_URI")
        .env("GITHUB_STEP_SUMMARY", dir.path().join("summary.md"))
        .env("GITHUB_OUTPUT", dir.path().join("output"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();

    // Annotations: one for the outage, naming the rules it blocked; none per rule.
    let annotations: Vec<&str> = stdout.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(annotations.len(), 1, "{stdout}");
    assert!(
        annotations[0].starts_with("::error ")
            && annotations[0].contains("12 rules could not be evaluated: users-group-can-manage, "),
        "{stdout}"
    );

    // The report's verdict: one row for the failed call with the rules it blocked.
    let report = read("r.md");
    let verdict = &report[..report.find("\n# Overview").expect(&report)];
    assert!(
        verdict.contains("|Section|Failed call|Could not evaluate|"),
        "{verdict}"
    );
    let rows: Vec<&str> = verdict
        .lines()
        .filter(|l| l.contains("127.0.0.1:9 failed"))
        .collect();
    assert_eq!(rows.len(), 1, "{verdict}");
    assert!(
        rows[0].ends_with("|users-group-can-manage, experiment-users-group-can-manage, missing-description, missing-version-description, missing-signature, missing-input-example, missing-source-run, empty-params, no-metrics, source-run-deleted, source-run-not-finished, version-not-ready|"),
        "{verdict}"
    );
    assert!(!verdict.contains("could not evaluate:"), "{verdict}");

    // The job summary: one line for the call and its rules, no table of rules it blocked.
    let summary = read("summary.md");
    assert_eq!(summary.matches("127.0.0.1:9").count(), 1, "{summary}");
    assert_eq!(
        summary.matches("12 rules could not be evaluated").count(),
        1,
        "{summary}"
    );
    assert!(!summary.contains("| rule |"), "{summary}");

    // JSON: every rule's outcome, each naming its call; the call listing them all.
    let results: Value = serde_json::from_str(&read("r.json")).unwrap();
    let findings = results["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 12, "{results}");
    assert!(
        findings
            .iter()
            .all(|f| f["outcome"] == "error" && f["blocked_by"] == 0),
        "{results}"
    );
    let errors = results["gather_errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{results}");
    let ids: Vec<&Value> = findings.iter().map(|f| &f["rule_id"]).collect();
    let blocked: Vec<&Value> = errors[0]["blocked_rules"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(blocked, ids);
}

//! One outage, one error (issue 19): when the server cannot be reached, no rule can be
//! evaluated, and every output says so once — one terminal line naming the call and the rules
//! it blocked, one SARIF tool notification with `executionSuccessful: false` and no result,
//! one Code Quality issue, one JUnit error case listing the blocked rules — and the run still
//! ends on exit 3.

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

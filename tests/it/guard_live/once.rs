//! `guard --once`: one reconcile pass, for cron and scheduled CI.

use super::once;
use crate::promote_live::{champion, promote, register, server, set_alias, tags, SERVERS};

#[test]
fn a_bypass_to_a_failing_version_is_reverted_recorded_and_then_compliant() {
    for key in SERVERS {
        let Some(s) = server(key) else { continue };
        let name = register(&s, key, "guard-revert", &["champion", "worse"]);
        let (code, _, stderr) = promote(
            &s.uri,
            &format!("models:/{name}/1"),
            &["--to-alias", "champion"],
        );
        assert_eq!(code, 0, "{key}: {stderr}");
        // Around the gate: a plain REST call points @champion at the worse version.
        set_alias(&s, &name, "champion", "2");
        let (code, log, stderr) = once(&s, &name, &["--on-violation", "revert"]);
        assert_eq!(code, 1, "{key}: a violation was found: {stderr}");
        assert_eq!(log.len(), 1, "{key}: {log:?}");
        let d = &log[0];
        assert_eq!(d["action"], "reverted", "{key}: {d}");
        assert_eq!(
            (d["from"].as_str(), d["to"].as_str()),
            (Some("2"), Some("1")),
            "{key}: {d}"
        );
        assert_eq!(d["verdict"], "fail", "{key}: {d}");
        assert_eq!(d["source"], "reconcile");
        assert_eq!(
            champion(&s, &name).as_deref(),
            Some("1"),
            "{key}: moved back"
        );
        let t = tags(&s, &name, "2");
        assert_eq!(t["mlgate.verdict"], "fail", "{key}");
        assert_eq!(t["mlgate.target"], "alias:champion", "{key}");
        assert_eq!(t["mlgate.incumbent"], "1", "{key}");
        // The next pass finds the compliant holder's record and accepts it.
        let (code, log, stderr) = once(&s, &name, &["--on-violation", "revert"]);
        assert_eq!(code, 0, "{key}: {stderr}");
        assert_eq!(log[0]["action"], "accepted", "{key}: {log:?}");
    }
}

#[test]
fn a_bypass_to_a_passing_version_stays_and_is_recorded() {
    for key in SERVERS {
        let Some(s) = server(key) else { continue };
        let name = register(&s, key, "guard-pass", &["champion", "good"]);
        let (code, _, stderr) = promote(
            &s.uri,
            &format!("models:/{name}/1"),
            &["--to-alias", "champion"],
        );
        assert_eq!(code, 0, "{key}: {stderr}");
        set_alias(&s, &name, "champion", "2");
        let (code, log, stderr) = once(&s, &name, &["--on-violation", "revert"]);
        assert_eq!(code, 0, "{key}: {stderr}");
        let d = &log[0];
        assert_eq!(d["action"], "recorded", "{key}: {d}");
        assert_eq!(
            (d["from"].as_str(), d["to"].as_str()),
            (Some("1"), Some("2")),
            "{key}: {d}"
        );
        assert_eq!(champion(&s, &name).as_deref(), Some("2"), "{key}: stays");
        let t = tags(&s, &name, "2");
        assert_eq!(t["mlgate.verdict"], "pass", "{key}");
        assert_eq!(t["mlgate.incumbent"], "1", "{key}");
    }
}

#[test]
fn report_mode_moves_nothing_and_notifies_once() {
    for key in SERVERS {
        let Some(s) = server(key) else { continue };
        let name = register(&s, key, "guard-report", &["champion", "worse"]);
        let (code, _, stderr) = promote(
            &s.uri,
            &format!("models:/{name}/1"),
            &["--to-alias", "champion"],
        );
        assert_eq!(code, 0, "{key}: {stderr}");
        set_alias(&s, &name, "champion", "2");
        let receiver = crate::guard_live::receiver::Receiver::start();
        let reports = tempfile::tempdir().unwrap();
        let notify = receiver.url();
        let dir = reports.path().to_str().unwrap().to_string();
        let (code, log, stderr) = once(&s, &name, &["--notify", &notify, "--report-dir", &dir]);
        assert_eq!(code, 1, "{key}: {stderr}");
        assert_eq!(log[0]["action"], "reported", "{key}: {log:?}");
        assert_eq!(
            champion(&s, &name).as_deref(),
            Some("2"),
            "{key}: nothing moves"
        );
        let sent = receiver.bodies();
        assert_eq!(sent.len(), 1, "{key}: {sent:?}");
        assert_eq!(sent[0]["action"], "reported");
        assert!(
            sent[0]["text"]
                .as_str()
                .unwrap()
                .contains(&format!("@champion of {name}")),
            "{key}: {}",
            sent[0]
        );
        let written: Vec<_> = walk(reports.path());
        assert_eq!(written.len(), 1, "{key}: one report: {written:?}");
        let report = std::fs::read_to_string(&written[0]).unwrap();
        assert!(
            report.contains("auc-not-worse"),
            "{key}: the report names the failed rule"
        );
        // The next pass reads the red record: still a violation, not notified again.
        let receiver2 = crate::guard_live::receiver::Receiver::start();
        let notify2 = receiver2.url();
        let (code, log, _) = once(&s, &name, &["--notify", &notify2]);
        assert_eq!(code, 1, "{key}");
        assert_eq!(log[0]["action"], "reported", "{key}");
        assert!(receiver2.bodies().is_empty(), "{key}: notified once");
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

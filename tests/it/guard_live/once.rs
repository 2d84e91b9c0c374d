//! `guard --once`: one reconcile pass, for cron and scheduled CI.

use serde_json::json;

use super::once;
use crate::live::Server;
use crate::promote_live::{call, champion, promote, register, server, set_alias, tags, SERVERS};

/// A passing record for `@champion` on `version`, written under a policy that is not today's:
/// what an older gate run leaves behind.
fn stale_pass(s: &Server, name: &str, version: &str) {
    for (key, value) in [
        ("mlgate.verdict", "pass"),
        ("mlgate.target", "alias:champion"),
        ("mlgate.policy_digest", "sha256:0000-an-older-policy"),
        ("mlgate.evaluated_at", "2026-01-02T03:04:05Z"),
    ] {
        let body = json!({"name": name, "version": version, "key": key, "value": value});
        call(s, "POST", "model-versions/set-tag", &body);
    }
}

/// The last passing holder passed under another policy: it is judged again before a revert
/// goes back to it. Passing today, the target goes back; failing, the violation is reported
/// and the target stays, never moved to a version today's policy fails.
#[test]
fn a_revert_goes_back_only_to_a_version_that_passes_todays_policy() {
    for key in SERVERS {
        let Some(s) = server(key) else { continue };
        // `worse` fails against `good` and not the other way round; `champion` and
        // `drops-column` each fail against the other (an input added, an input removed).
        for (first, then, back) in [("good", "worse", true), ("drops-column", "champion", false)] {
            let name = register(&s, key, &format!("guard-stale-{first}"), &[first, then]);
            stale_pass(&s, &name, "1");
            set_alias(&s, &name, "champion", "2");
            let (code, log, stderr) = once(&s, &name, &["--on-violation", "revert"]);
            assert_eq!(code, 1, "{key} {first}: {stderr}");
            let d = &log[0];
            let reason = d["reason"].as_str().unwrap_or_default();
            let v1 = tags(&s, &name, "1");
            assert_eq!(
                v1["mlgate.policy_digest"]
                    .as_str()
                    .map(|d| d.contains("older")),
                Some(false),
                "{key} {first}: version 1 was judged again and its record rewritten"
            );
            if back {
                assert_eq!(d["action"], "reverted", "{key}: {d}");
                assert_eq!(champion(&s, &name).as_deref(), Some("1"), "{key}");
                assert_eq!(v1["mlgate.verdict"], "pass", "{key}");
            } else {
                assert_eq!(d["action"], "reported", "{key}: {d}");
                assert!(reason.contains("no compliant holder"), "{key}: {reason}");
                assert!(
                    reason.contains("version 1 is fail under today's policy"),
                    "{key}: {reason}"
                );
                assert_eq!(champion(&s, &name).as_deref(), Some("2"), "{key}: stays");
                assert_eq!(v1["mlgate.verdict"], "fail", "{key}");
            }
        }
    }
}

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

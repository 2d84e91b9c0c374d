//! GitLab Code Quality report (`--codequality`): the JSON a merge request shows in its Code
//! Quality widget (and, on Ultimate, beside the lines of its diff), collected with
//! `artifacts: reports: codequality:`.
//!
//! The format is GitLab's subset of the Code Climate issue spec, documented under "Code
//! Quality report format" (https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format):
//! a JSON array of issues, each with `description`, `check_name`, `fingerprint`, `severity`
//! (one of `info`, `minor`, `major`, `critical`, `blocker`) and `location.path` (relative to
//! the repository root) with `location.lines.begin`. GitLab compares the fingerprints of the
//! source and target branches' reports to call an issue new or resolved, and shows only the
//! first issue of a fingerprint, so a fingerprint must be stable across runs and unique in
//! one report.
//!
//! As in SARIF, only failures and evaluation errors are issues (passes, skips and waived
//! findings are not problems to fix), and issues point where SARIF results do ([`Site`]): the
//! rule's line in its policy file, or a stand-in file of the repository for bundled rules.
//! This module does no I/O.
//!
//! A bulk run writes one array over all versions, streamed version by version; the same rule
//! failing on two versions of one model is one fingerprint, so GitLab tracks it as one issue.

use std::fmt::Write as _;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::reporter::{JsonList, Reporter};
use super::sarif::{Place, Site};
use super::summary::Summary;
use super::{sanitize, Evaluation};
use crate::engine::Severity;

/// The report of one version.
pub fn render(e: &Evaluation<'_>, site: &Site) -> String {
    let mut report = CodeQuality::new(site);
    let mut out = String::new();
    report.version(e, &mut out);
    report.finish(&Summary::default(), &mut out);
    out
}

/// The Code Quality reporter: one array of issues over every version of the run.
pub struct CodeQuality<'a> {
    site: &'a Site,
    issues: JsonList,
    unplaced: usize,
}

impl<'a> CodeQuality<'a> {
    pub fn new(site: &'a Site) -> Self {
        Self {
            site,
            issues: JsonList::default(),
            unplaced: 0,
        }
    }
}

impl Reporter for CodeQuality<'_> {
    fn version(&mut self, e: &Evaluation<'_>, out: &mut String) {
        let mut text = String::new();
        for (issue, placed) in issues(e, self.site) {
            self.issues.push(&issue, 1, &mut text);
            self.unplaced += usize::from(!placed);
        }
        // GitLab shows the text as it is: controls and bidi characters a server sent are
        // shown escaped, never acted on.
        out.push_str(&sanitize::json(&text));
    }

    fn finish(&mut self, _: &Summary, out: &mut String) {
        self.issues.close(0, out);
        out.push('\n');
    }

    fn warning(&self) -> Option<String> {
        (self.unplaced > 0).then(|| super::notice::codequality_unplaced(self.unplaced))
    }
}

/// One issue per failed or unevaluable rule, in rule order, then one per failed call that
/// blocked rules; each with whether it points at a file of the repository.
fn issues(e: &Evaluation<'_>, site: &Site) -> Vec<(Value, bool)> {
    let s = e.snapshot;
    let model_uri = s.model_uri();
    // Without the version, as SARIF's fingerprints: the same problem on the next version of
    // the model is the same issue, not a new one.
    let model = s
        .target
        .name
        .clone()
        .unwrap_or_else(|| s.target.reference.clone());
    let has_file = |source: &str| {
        matches!(
            site.places.get(source),
            Some(Place::File(_) | Place::StandIn { .. })
        )
    };
    let mut issues: Vec<(Value, bool)> = e
        .findings
        .iter()
        .filter(|f| super::sarif::is_result(e, f))
        .map(|f| {
            // With no file, line 1 of what the rule came from (`builtin:NAME` for a bundled
            // pack): the rule's line is in a file the user does not have.
            let (path, line) = site.file_of(f).unwrap_or_else(|| (f.source.clone(), 1));
            let description = placed(super::finding_line(&model_uri, f), site, &f.source);
            let issue = json!({
                // GitLab shows the text as it is: controls and bidi characters a server sent
                // are shown escaped, never acted on.
                "description": sanitize::visible(&description),
                "check_name": sanitize::visible(&f.rule_id),
                "fingerprint": fingerprint(&f.rule_id, &model, &path),
                "severity": severity(f.severity),
                "location": {
                    "path": sanitize::visible(&path),
                    "lines": { "begin": line },
                },
            });
            (issue, has_file(&f.source))
        })
        .collect();
    // One issue per failed call that kept rules from being evaluated, not one per rule: an
    // outage is one thing to fix. It is shown where its first blocked rule would be.
    for outage in super::outages(e) {
        let (Some(first), Some(blocked)) = (outage.blocked.first(), outage.blocked_line()) else {
            continue;
        };
        let (path, line) = site
            .file_of(first)
            .unwrap_or_else(|| (first.source.clone(), 1));
        let worst = outage
            .blocked
            .iter()
            .map(|f| f.severity)
            .max()
            .unwrap_or(first.severity);
        let g = outage.error;
        let description = placed(
            format!(
                "{model_uri}: could not gather {}: {}; {blocked}",
                g.section,
                g.describe()
            ),
            site,
            &first.source,
        );
        let issue = json!({
            "description": sanitize::visible(&description),
            "check_name": "mlgate/gather",
            "fingerprint": fingerprint(&format!("gather:{}", g.section), &model, &path),
            "severity": severity(worst),
            "location": {
                "path": sanitize::visible(&path),
                "lines": { "begin": line },
            },
        });
        issues.push((issue, has_file(&first.source)));
    }
    issues
}

/// `description` with why it is shown where it is, when that is not the rule's own file.
fn placed(mut description: String, site: &Site, source: &str) -> String {
    match site.places.get(source) {
        Some(Place::StandIn { why, .. } | Place::Nowhere { why }) => {
            description = format!("{description} ({why})");
        }
        Some(Place::File(_)) => {}
        None => description.push_str(" (no file in this repository to show it at)"),
    }
    description
}

/// Rule, model and file: stable across runs and versions, and unique in a report (a rule
/// has one finding per model). The line is left out on purpose: editing the policy file
/// above a rule must not turn its issue into a "new" one.
fn fingerprint(rule_id: &str, model: &str, path: &str) -> String {
    let mut hash = Sha256::new();
    for part in ["mlgate/v1", rule_id, model, path] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    // 128 bits, the length of the MD5 fingerprints in GitLab's own examples.
    hash.finalize()[..16]
        .iter()
        .fold(String::with_capacity(32), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        })
}

/// mlgate's three severities on GitLab's five: an error is critical (it fails the gate at
/// the default threshold), a warning major, an info note info. `blocker` is left for tools
/// that know a merge cannot go on; mlgate's verdict (the exit code) says that.
fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "critical",
        Severity::Warning => "major",
        Severity::Info => "info",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Fixture;

    fn site(place: Place) -> Site {
        Site {
            root: None,
            places: [("builtin:baseline".to_string(), place)].into(),
            bundled: ["builtin:baseline".to_string()].into(),
        }
    }

    fn issues(fixture: &Fixture, site: &Site) -> Vec<Value> {
        let text = render(&fixture.evaluation(), site);
        serde_json::from_str::<Value>(&text)
            .expect("valid JSON")
            .as_array()
            .expect("an array")
            .clone()
    }

    #[test]
    fn failures_and_errors_at_the_stand_in() {
        let fixture = Fixture::example(|_| {});
        let site = site(Place::StandIn {
            uri: "ci/mlgate%20config.toml".into(),
            line: 3,
            why: "bundled rule builtin:baseline, shown at ci/mlgate config.toml".into(),
        });
        insta::assert_snapshot!(render(&fixture.evaluation(), &site));
        let issues = issues(&fixture, &site);
        assert_eq!(issues.len(), 4, "3 failures and 1 failed call");
        for issue in &issues {
            for key in ["description", "check_name", "fingerprint", "severity"] {
                assert!(issue[key].is_string(), "{key}: {issue}");
            }
            assert_eq!(issue["location"]["path"], "ci/mlgate config.toml");
            assert_eq!(issue["location"]["lines"]["begin"], 3);
            assert!(["info", "minor", "major", "critical", "blocker"]
                .contains(&issue["severity"].as_str().unwrap()));
        }
        // The rule a failed call blocked is said once, as the call's issue (issue 19).
        assert!(!issues
            .iter()
            .any(|i| i["check_name"] == "experiment-users-group-can-manage"));
        let outage = issues
            .iter()
            .find(|i| i["check_name"] == "mlgate/gather")
            .unwrap();
        let text = outage["description"].as_str().unwrap();
        assert!(
            text.starts_with(
                "models:/dolly3b/1: could not gather permissions.experiment: GET /api/2.0/permissions/experiments/3336498746257830 failed"
            ) && text.contains("; 1 rule could not be evaluated: experiment-users-group-can-manage"),
            "{text}"
        );
    }

    #[test]
    fn fingerprints_are_unique_stable_and_ignore_the_version() {
        let a = issues(&Fixture::example(|_| {}), &Site::default());
        let b = issues(
            &Fixture::example(|s| s.target.version = Some("2".into())),
            &Site::default(),
        );
        let prints = |issues: &[Value]| -> Vec<String> {
            issues
                .iter()
                .map(|i| i["fingerprint"].as_str().unwrap().to_string())
                .collect()
        };
        let (pa, pb) = (prints(&a), prints(&b));
        assert_eq!(pa, pb);
        let unique: std::collections::BTreeSet<_> = pa.iter().collect();
        assert_eq!(unique.len(), pa.len());
        assert!(pa.iter().all(|p| p.len() == 32));
        assert_ne!(
            fingerprint("r", "m", "a.toml"),
            fingerprint("r", "m", "b.toml"),
            "the file is part of it"
        );
    }

    #[test]
    fn a_rule_with_no_file_says_why_at_its_pack() {
        let site = site(Place::Nowhere {
            why: "bundled rule builtin:baseline: no file in this repository to show it at".into(),
        });
        for issue in issues(&Fixture::example(|_| {}), &site) {
            assert_eq!(issue["location"]["path"], "builtin:baseline");
            assert!(issue["description"].as_str().unwrap().ends_with(
                "(bundled rule builtin:baseline: no file in this repository to show it at)"
            ));
        }
    }

    #[test]
    fn server_strings_are_shown_not_obeyed() {
        let fixture = Fixture::example(|s| {
            s.target.name = Some("m\u{1b}[31m\r\n\u{202e}%0A".into());
            s.target.reference = "models:/m\u{1b}[31m/1".into();
        });
        let text = render(&fixture.evaluation(), &Site::default());
        assert!(
            !text.chars().any(|c| c == '\u{1b}' || c == '\u{202e}'),
            "{text}"
        );
        let issues: Value = serde_json::from_str(&text).unwrap();
        for issue in issues.as_array().unwrap() {
            let d = issue["description"].as_str().unwrap();
            assert!(!d.chars().any(crate::report::sanitize::is_hidden), "{d:?}");
        }
    }
}

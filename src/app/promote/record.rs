//! What a promotion writes back besides the move: the verdict as `mlgate.*` tags on the
//! candidate (on red too, so the registry shows why a version was not promoted), and the
//! one-line comment of an approved or rejected transition request.

use crate::engine::{Outcome, Status, Verdict};

/// The longest `mlgate.summary` written (MLflow allows far more; a summary is one line).
const SUMMARY_LIMIT: usize = 1000;

/// The facts a record is made of.
pub(super) struct Record<'a> {
    pub status: Status,
    /// `alias:champion`, `stage:Production`, `request:Production`.
    pub target: String,
    /// The version evaluated against, or `None` when no version held the target.
    pub incumbent: Option<&'a str>,
    pub policy_digest: &'a str,
    /// RFC 3339 UTC.
    pub evaluated_at: String,
    pub summary: String,
    pub report: Option<String>,
}

impl Record<'_> {
    /// The tags, in the order they are written.
    pub(super) fn tags(&self) -> Vec<(&'static str, String)> {
        vec![
            ("mlgate.verdict", verdict_word(self.status).to_string()),
            ("mlgate.target", self.target.clone()),
            (
                "mlgate.incumbent",
                self.incumbent.unwrap_or("none").to_string(),
            ),
            ("mlgate.policy_digest", self.policy_digest.to_string()),
            ("mlgate.evaluated_at", self.evaluated_at.clone()),
            ("mlgate.summary", self.summary.clone()),
            // Always written, so a link from an earlier attempt never sits beside this verdict.
            (
                "mlgate.report",
                self.report.clone().unwrap_or_else(|| "none".into()),
            ),
        ]
    }

    /// The comment of an approved or rejected transition request.
    pub(super) fn comment(&self) -> String {
        let mut line = format!("mlgate: {} · policy {}", self.summary, self.policy_digest);
        if let Some(url) = &self.report {
            line = format!("{line} · {url}");
        }
        line
    }
}

pub(super) fn verdict_word(status: Status) -> &'static str {
    match status {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::Error => "error",
    }
}

/// `fail at --fail-on error: 9 passed, 1 failed, 2 skipped; against v2 (@champion)`: one
/// line, capped.
pub(super) fn summary(verdict: &Verdict, holds: &str, incumbent: Option<&str>) -> String {
    let counts: Vec<String> = verdict
        .counts
        .iter()
        .filter(|(outcome, n)| *n > 0 || *outcome == Outcome::Fail)
        .map(|(outcome, n)| format!("{n} {}", outcome_word(*outcome)))
        .collect();
    let against = match incumbent {
        Some(v) => format!("against v{v} ({holds})"),
        None => format!("no version held {holds}"),
    };
    let mut line = format!(
        "{} at --fail-on {}: {}; {against}",
        verdict_word(verdict.status),
        verdict.fail_on,
        counts.join(", ")
    );
    if verdict.gather_errors > 0 {
        line = format!("{line}; {} call(s) failed", verdict.gather_errors);
    }
    if line.chars().count() > SUMMARY_LIMIT {
        line = line.chars().take(SUMMARY_LIMIT - 3).collect::<String>() + "...";
    }
    line
}

fn outcome_word(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pass => "passed",
        Outcome::Fail => "failed",
        Outcome::Error => "could not be evaluated",
        Outcome::Skipped => "skipped",
        Outcome::Waived => "waived",
    }
}

/// `--report-url`, else the GitHub Actions run when the runner's variables are all set.
pub(super) fn report_url(
    given: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    if let Some(url) = given {
        return Some(url.to_string());
    }
    let server = env("GITHUB_SERVER_URL")?;
    let repository = env("GITHUB_REPOSITORY")?;
    let run = env("GITHUB_RUN_ID")?;
    Some(format!(
        "{}/{repository}/actions/runs/{run}",
        server.trim_end_matches('/')
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_github_run_is_the_report_unless_one_is_given() {
        let env = |k: &str| match k {
            "GITHUB_SERVER_URL" => Some("https://github.com/".to_string()),
            "GITHUB_REPOSITORY" => Some("acme/models".to_string()),
            "GITHUB_RUN_ID" => Some("42".to_string()),
            _ => None,
        };
        assert_eq!(
            report_url(None, &env).as_deref(),
            Some("https://github.com/acme/models/actions/runs/42")
        );
        assert_eq!(
            report_url(Some("https://ci/1"), &env).as_deref(),
            Some("https://ci/1")
        );
        assert_eq!(report_url(None, &|_| None), None);
    }

    #[test]
    fn every_tag_is_written_even_without_a_report() {
        let r = Record {
            status: Status::Fail,
            target: "alias:champion".into(),
            incumbent: None,
            policy_digest: "sha256:ab",
            evaluated_at: "2026-11-30T00:00:00Z".into(),
            summary: "fail: 1 failed".into(),
            report: None,
        };
        let tags = r.tags();
        assert_eq!(tags.len(), 7);
        assert!(tags.contains(&("mlgate.verdict", "fail".into())));
        assert!(tags.contains(&("mlgate.incumbent", "none".into())));
        assert!(tags.contains(&("mlgate.report", "none".into())));
    }
}

//! What a promotion writes back besides the move: the verdict as `mlgate.*` tags on the
//! candidate (on red too, so the registry shows why a version was not promoted), and the
//! one-line comment of an approved or rejected transition request.

use crate::engine::{Outcome, Status, Verdict};

/// The longest `mlgate.summary` written (MLflow allows far more; a summary is one line).
const SUMMARY_LIMIT: usize = 1000;

/// The facts a record is made of.
pub(crate) struct Record<'a> {
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
    pub(crate) fn tags(&self) -> Vec<(&'static str, String)> {
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
    pub(crate) fn comment(&self) -> String {
        let mut line = format!("mlgate: {} · policy {}", self.summary, self.policy_digest);
        if let Some(url) = &self.report {
            line = format!("{line} · {url}");
        }
        line
    }
}

pub(crate) fn verdict_word(status: Status) -> &'static str {
    match status {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::Error => "error",
    }
}

/// `fail at --fail-on error: 9 passed, 1 failed, 2 skipped; against v2 (@champion)`: one
/// line, capped.
pub(crate) fn summary(verdict: &Verdict, holds: &str, incumbent: Option<&str>) -> String {
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

/// `--report-url`, else the GitHub Actions run when the runner's variables are all set; as
/// [`redacted_link`] writes it.
pub(crate) fn report_url(
    given: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    if let Some(url) = given {
        return Some(redacted_link(url));
    }
    let server = env("GITHUB_SERVER_URL")?;
    let repository = env("GITHUB_REPOSITORY")?;
    let run = env("GITHUB_RUN_ID")?;
    Some(redacted_link(&format!(
        "{}/{repository}/actions/runs/{run}",
        server.trim_end_matches('/')
    )))
}

/// Query and fragment parameters that carry a credential though their names do not say so
/// (`redact::secret_key` judges the rest): signatures of presigned and SAS URLs, API keys,
/// OAuth codes.
const SIGNING_PARAMS: [&str; 9] = [
    "sig",
    "signature",
    "x-amz-signature",
    "x-amz-credential",
    "x-goog-signature",
    "x-goog-credential",
    "key",
    "code",
    "auth",
];

/// The report link as it is written into a registry tag and a transition comment, which
/// anyone who can read the model reads: no userinfo, the value of every secret-looking query
/// or fragment parameter (`token=`, `sig=`, `password=`, a value of a secret's shape) as
/// `[redacted]`, and one line (controls and invisible characters shown escaped), so a link
/// cannot add lines to a comment or leak what signed it.
pub(crate) fn redacted_link(url: &str) -> String {
    let url = crate::url::without_userinfo(url);
    let (rest, fragment) = match url.split_once('#') {
        Some((rest, fragment)) => (rest, Some(fragment)),
        None => (url.as_str(), None),
    };
    let mut out = match rest.split_once('?') {
        Some((path, query)) => format!("{path}?{}", redacted_params(query)),
        None => rest.to_string(),
    };
    if let Some(fragment) = fragment {
        out = format!("{out}#{}", redacted_params(fragment));
    }
    crate::report::sanitize::visible(&out)
}

/// `a=1&token=x` → `a=1&token=[redacted]`.
fn redacted_params(params: &str) -> String {
    params
        .split('&')
        .map(|param| match param.split_once('=') {
            Some((key, value)) if secret_param(key, value) => format!("{key}=[redacted]"),
            _ => param.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn secret_param(key: &str, value: &str) -> bool {
    let key = percent_decoded(key).to_ascii_lowercase();
    crate::redact::secret_key(&key)
        || SIGNING_PARAMS.contains(&key.as_str())
        || crate::redact::redact_shapes(&percent_decoded(value)) != percent_decoded(value)
}

/// `%74oken` → `token`: a name spelled with escapes is still that name. Invalid escapes stay.
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied(),
            bytes.get(i + 2).copied(),
        ) {
            (b'%', Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                let (h, l) = (hex(h).unwrap_or(0), hex(l).unwrap_or(0));
                out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                i += 3;
            }
            (b'+', ..) => {
                out.push(b' ');
                i += 1;
            }
            (b, ..) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
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
    fn a_given_report_link_is_redacted_and_one_line() {
        let env = |_: &str| None;
        for (given, expected) in [
            (
                "https://u:p@ss@ci/run/1?a=1&token=t0k&sig=abc&password=pw#x",
                "https://ci/run/1?a=1&token=[redacted]&sig=[redacted]&password=[redacted]#x",
            ),
            (
                "https://ci/r?%74oken=t&X-Amz-Signature=s&ok=ghp_0123456789abcdefghijABCDEFGHIJ012345",
                "https://ci/r?%74oken=[redacted]&X-Amz-Signature=[redacted]&ok=[redacted]",
            ),
            (
                "https://ci/r#access_token=t&state=1",
                "https://ci/r#access_token=[redacted]&state=1",
            ),
            (
                "https://ci/r\n::error::x\r\u{1b}[2K",
                "https://ci/r\\x0a::error::x\\x0d\\x1b[2K",
            ),
            ("user:p@ss@ci/r", "ci/r"),
        ] {
            let url = report_url(Some(given), &env).unwrap_or_default();
            assert_eq!(url, expected, "{given}");
            let record = Record {
                status: Status::Pass,
                target: "alias:champion".into(),
                incumbent: None,
                policy_digest: "sha256:ab",
                evaluated_at: "2026-11-30T00:00:00Z".into(),
                summary: "pass".into(),
                report: Some(url),
            };
            assert!(!record.comment().contains(['\n', '\r']));
            for secret in ["p@ss", "t0k", "=pw", "=abc", "ghp_"] {
                assert!(!record.comment().contains(secret), "{given}");
            }
        }
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

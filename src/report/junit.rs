//! JUnit XML: one testsuite per model version, one testcase per rule.
//!
//! Testcase names are the rule ids (stable across runs, unique); the classname is
//! `mlgate.<model>` so GitLab groups cases by model. failure = rule failed, error = could not
//! be evaluated, skipped = not applicable or waived. Messages go in both the attribute and the
//! body, since some consumers show only one of them.

use std::fmt::Write;

use junit_report::{
    Duration, OffsetDateTime, ReportBuilder, TestCase, TestResult, TestSuiteBuilder,
};

use super::Evaluation;
use crate::engine::Outcome;

/// Renders the JUnit document.
pub fn render(e: &Evaluation<'_>) -> String {
    let snapshot = e.snapshot;
    // Names come from the server: keep them to characters XML can carry.
    let model = clean(
        &snapshot
            .target
            .name
            .clone()
            .unwrap_or_else(|| snapshot.target.reference.clone()),
    );
    let version = clean(&snapshot.target.version.clone().unwrap_or_default());
    let suite_name = if version.is_empty() {
        model.clone()
    } else {
        format!("{model}/{version}")
    };
    let classname = format!("mlgate.{model}");
    let mut suite = TestSuiteBuilder::new(&suite_name);
    // The gather time, not the render time: the same snapshot gives the same file.
    let timestamp = crate::timefmt::parse_instant(&snapshot.manifest.gathered_at)
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    suite.set_timestamp(timestamp);
    for f in e.findings {
        let body = format!(
            "{}\nrule: {} ({})\nseverity: {}\nselect: {}\n{}",
            f.message,
            f.rule_id,
            f.title,
            f.severity,
            f.select,
            if f.detail.is_empty() {
                String::new()
            } else {
                format!("found: {}\n", f.detail)
            }
        );
        let mut case = match f.outcome {
            Outcome::Pass => TestCase::success(&f.rule_id, Duration::ZERO),
            Outcome::Fail => TestCase::failure(
                &f.rule_id,
                Duration::ZERO,
                f.severity.as_str(),
                &clean(&f.message),
            ),
            Outcome::Error => TestCase::error(
                &f.rule_id,
                Duration::ZERO,
                "could-not-evaluate",
                &clean(&f.message),
            ),
            Outcome::Skipped | Outcome::Waived => {
                TestCase::skipped_with_cause(&f.rule_id, f.outcome.as_str(), &clean(&f.message))
            }
        };
        // The human text goes in the element body too (`message` alone is hidden by some CI UIs).
        match &mut case.result {
            TestResult::Failure { cause, .. }
            | TestResult::Error { cause, .. }
            | TestResult::SkippedWithCause { cause, .. } => *cause = Some(clean(&body)),
            TestResult::Success | TestResult::Skipped => {}
        }
        case.set_classname(&classname);
        case.set_filepath(&clean(&f.source));
        suite.add_testcase(case);
    }
    // The gather itself is a case too, so the JUnit verdict matches the exit code.
    let gather_case = if snapshot.errors.is_empty() {
        TestCase::success("gather", Duration::ZERO)
    } else {
        let text = snapshot
            .errors
            .iter()
            .map(|g| format!("{}: {}", g.section, g.describe()))
            .collect::<Vec<_>>()
            .join("\n");
        let message = format!("{} call(s) failed while gathering", snapshot.errors.len());
        let mut case = if e.verdict.gather_errors_allowed {
            TestCase::skipped_with_cause("gather", "allowed", &clean(&message))
        } else {
            TestCase::error("gather", Duration::ZERO, "gather-error", &clean(&message))
        };
        if let TestResult::Error { cause, .. } | TestResult::SkippedWithCause { cause, .. } =
            &mut case.result
        {
            *cause = Some(clean(&text));
        }
        case
    };
    let mut gather_case = gather_case;
    gather_case.set_classname(&classname);
    suite.add_testcase(gather_case);
    let report = ReportBuilder::new().add_testsuite(suite.build()).build();
    let mut xml = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = report.write_xml(&mut xml);
    let xml = String::from_utf8(xml).unwrap_or_default();
    let model_version_url = crate::snapshot::derive::links(snapshot)
        .model_version
        .unwrap_or_default();
    let properties = [
        ("model", model.as_str()),
        ("version", version.as_str()),
        ("reference", snapshot.target.reference.as_str()),
        (
            "run_id",
            snapshot
                .target
                .run_id
                .as_deref()
                .or(snapshot.run.as_ref().map(|r| r.info.run_id.as_str()))
                .unwrap_or(""),
        ),
        (
            "tracking_uri",
            snapshot.manifest.tracking_uri.as_deref().unwrap_or(""),
        ),
        ("policy_files", &e.policy_files.join(",")),
        ("policy_digest", e.policy_digest),
        ("fail_on", e.verdict.fail_on.as_str()),
        ("model_version_url", model_version_url.as_str()),
        ("mlgate_version", env!("CARGO_PKG_VERSION")),
    ];
    let skipped = e
        .findings
        .iter()
        .filter(|f| matches!(f.outcome, Outcome::Skipped | Outcome::Waived))
        .count()
        + usize::from(!snapshot.errors.is_empty() && e.verdict.gather_errors_allowed);
    with_properties(&xml, &properties, skipped)
}

/// junit-report has no `<properties>`; insert them as the first child of the testsuite.
/// quick-xml escapes `>` in attribute values, so the first `>` after `<testsuite ` ends the tag.
/// It also omits the `skipped` count, which consumers read from the testsuite tag.
fn with_properties(xml: &str, properties: &[(&str, &str)], skipped: usize) -> String {
    let Some(start) = xml.find("<testsuite ") else {
        return xml.to_string();
    };
    let Some(end) = xml[start..].find('>').map(|i| start + i) else {
        return xml.to_string();
    };
    let mut block = String::from("<properties>");
    for (name, value) in properties {
        let _ = write!(
            block,
            r#"<property name="{}" value="{}"/>"#,
            escape(name),
            escape(value)
        );
    }
    block.push_str("</properties>");
    let count = format!(r#" skipped="{skipped}""#);
    if xml[..end].ends_with('/') {
        // An empty testsuite `<testsuite …/>` becomes `<testsuite …>props</testsuite>`.
        format!(
            "{}{count}>{block}</testsuite>{}",
            &xml[..end - 1],
            &xml[end + 1..]
        )
    } else {
        format!("{}{count}>{block}{}", &xml[..end], &xml[end + 1..])
    }
}

/// Text XML can carry: characters XML 1.0 forbids are dropped, and `]]>` (which would end the
/// CDATA section junit-report writes bodies into) is broken up.
fn clean(text: &str) -> String {
    text.chars()
        .filter(|c| {
            matches!(c, '\t' | '\n' | '\r') || (*c >= ' ' && *c != '\u{fffe}' && *c != '\u{ffff}')
        })
        .collect::<String>()
        .replace("]]>", "]] >")
}

fn escape(text: &str) -> String {
    clean(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_go_inside_the_suite() {
        let xml = r#"<testsuites><testsuite id="0" name="a&gt;b"><testcase name="x"/></testsuite></testsuites>"#;
        let out = with_properties(xml, &[("model", "m\"1")], 2);
        assert!(out.contains(r#"name="a&gt;b" skipped="2"><properties><property name="model" value="m&quot;1"/></properties><testcase"#), "{out}");
        let empty = with_properties(
            r#"<testsuites><testsuite name="a"/></testsuites>"#,
            &[("k", "v")],
            0,
        );
        assert!(
            empty.contains(r#"<testsuite name="a" skipped="0"><properties>"#)
                && empty.contains("</properties></testsuite>"),
            "{empty}"
        );
    }
}

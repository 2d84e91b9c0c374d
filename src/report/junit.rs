//! JUnit XML: one testsuite per model version, one testcase per rule.
//!
//! Testcase names are the rule ids (stable across runs, unique); the classname is
//! `mlgate.<model>` so GitLab groups cases by model. failure = rule failed, error = could not
//! be evaluated, skipped = not applicable or waived. Messages go in both the attribute and the
//! body, since some consumers show only one of them.

use junit_report::{
    Duration, OffsetDateTime, ReportBuilder, TestCase, TestResult, TestSuiteBuilder,
};

use super::junit_ext::{self, clean, JunitError};
use super::Evaluation;
use crate::engine::Outcome;

/// Renders the JUnit document.
pub fn render(e: &Evaluation<'_>) -> Result<String, JunitError> {
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
    let xml = junit_ext::write(&report)?;
    let model_version_url = crate::snapshot::derive::links(snapshot)
        .model_version
        .unwrap_or_default();
    let run_id = snapshot
        .target
        .run_id
        .as_deref()
        .or(snapshot.run.as_ref().map(|r| r.info.run_id.as_str()))
        .unwrap_or("");
    let properties = vec![
        ("model", model),
        ("version", version),
        ("reference", snapshot.target.reference.clone()),
        ("run_id", run_id.to_string()),
        (
            "tracking_uri",
            snapshot.manifest.tracking_uri.clone().unwrap_or_default(),
        ),
        ("policy_files", e.policy_files.join(",")),
        ("policy_digest", e.policy_digest.to_string()),
        ("fail_on", e.verdict.fail_on.as_str().to_string()),
        ("model_version_url", model_version_url),
        ("mlgate_version", env!("CARGO_PKG_VERSION").to_string()),
    ];
    junit_ext::extend(&xml, &[properties])
}

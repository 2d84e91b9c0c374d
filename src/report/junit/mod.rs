//! JUnit XML: one testsuite per model version, one testcase per rule.
//!
//! Testcase names are the rule ids (stable across runs, unique); the classname is
//! `mlgate.<model>` so GitLab groups cases by model. failure = rule failed, error = could not
//! be evaluated, skipped = not applicable or waived. Messages go in both the attribute and the
//! body, since some consumers show only one of them.
//!
//! The file agrees with the exit code: only findings that block at `--fail-on` are failures or
//! errors; one below it passes and carries what it found in `<system-out>` and a
//! `not_blocking.<rule>` suite property, and the `gather` case stands for the calls. The
//! document is valid against the Jenkins JUnit schema (`tests/fixtures/schemas/junit-10.xsd`),
//! which is why testcases have no `file` attribute.
//!
//! The cases are built as junit-report's types and written by [`writer`], in one pass; a bulk
//! run writes one suite per version into one `<testsuites>` as it goes.

pub mod writer;

use std::fmt::Write as _;

use junit_report::{Duration, OffsetDateTime, TestCase, TestResult, TestSuite, TestSuiteBuilder};

use super::reporter::{Reporter, Shape};
use super::summary::Summary;
use super::Evaluation;
use crate::engine::{Finding, Outcome};
pub use writer::clean;

/// The JUnit document of one version.
pub fn render(e: &Evaluation<'_>) -> String {
    let (suite, properties) = suite_of(e);
    format!(
        "{}{}{}",
        writer::head(None),
        writer::suite(0, &suite, &properties),
        writer::TAIL
    )
}

/// The JUnit reporter: one document, one `<testsuite>` per version.
pub struct Junit {
    shape: Shape,
    suites: usize,
}

impl Junit {
    pub fn new(shape: Shape) -> Self {
        Self { shape, suites: 0 }
    }

    fn open(&self, out: &mut String) {
        if self.suites == 0 {
            out.push_str(&writer::head(
                (self.shape == Shape::Many).then_some("mlgate"),
            ));
        }
    }
}

impl Reporter for Junit {
    fn version(&mut self, e: &Evaluation<'_>, out: &mut String) {
        self.open(out);
        let (suite, properties) = suite_of(e);
        out.push_str(&writer::suite(self.suites, &suite, &properties));
        if self.shape == Shape::Many {
            out.push('\n');
        }
        self.suites += 1;
    }

    fn finish(&mut self, _: &Summary, out: &mut String) {
        self.open(out);
        out.push_str(writer::TAIL);
        if self.shape == Shape::Many {
            out.push('\n');
        }
    }
}

/// The suite of one version (one case per rule, and the `gather` case) and its properties.
fn suite_of(e: &Evaluation<'_>) -> (TestSuite, Vec<(String, String)>) {
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
    let mut not_blocking = Vec::new();
    for f in e.findings {
        let mut case = rule_case(e, f, &mut not_blocking);
        case.set_classname(&classname);
        // No `file` attribute: the Jenkins schema (tests/fixtures/schemas/junit-10.xsd)
        // rejects it on a testcase; the policy file and line are in the body instead.
        suite.add_testcase(case);
    }
    let mut gather_case = gather_case(e);
    gather_case.set_classname(&classname);
    suite.add_testcase(gather_case);
    // Every rule out of scope is no pass either (exit 3, unless --allow-all-skipped): the one
    // case that says so is only there when it happened, so it turns the view red.
    if e.verdict.nothing_applied {
        let message = "every rule was out of scope: nothing was judged (pass --allow-all-skipped if that is expected)";
        let mut case =
            TestCase::error("rules-in-scope", Duration::ZERO, "nothing-applied", message);
        case.set_classname(&classname);
        suite.add_testcase(case);
    }
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
    let properties = properties
        .into_iter()
        .map(|(name, value)| (name.to_string(), value))
        .chain(not_blocking)
        .collect();
    (suite.build(), properties)
}

/// One rule's case. A finding that fails or errors below `--fail-on` passes here and is
/// added to `not_blocking` (the suite properties).
fn rule_case(
    e: &Evaluation<'_>,
    f: &Finding,
    not_blocking: &mut Vec<(String, String)>,
) -> TestCase {
    let fail_on = e.verdict.fail_on;
    let body = format!(
        "{}\nrule: {} ({})\nseverity: {}\nselect: {}\ndefined at: {}:{}\n{}",
        f.message,
        f.rule_id,
        f.title,
        f.severity,
        f.select,
        f.source,
        f.line,
        if f.detail.is_empty() {
            String::new()
        } else {
            format!("found: {}\n", f.detail)
        }
    );
    // Only what blocks at --fail-on turns the test view red, so the file agrees with the
    // exit code: a warning that failed under `--fail-on error` (exit 0) is a passing case
    // that says what it found in <system-out> and in a suite property.
    let blocks = f.blocks(fail_on);
    let mut case = match f.outcome {
        // Kept from evaluation by a failed call: the `gather` case is the one error that
        // says so and lists it; the rule's own case stays, under its stable name.
        Outcome::Error if super::is_blocked(e, f) => TestCase::skipped_with_cause(
            &f.rule_id,
            "blocked",
            &clean(&format!(
                "not evaluated: a call failed while gathering (see the `gather` case): {}",
                f.message
            )),
        ),
        Outcome::Fail if blocks => TestCase::failure(
            &f.rule_id,
            Duration::ZERO,
            f.severity.as_str(),
            &clean(&f.message),
        ),
        Outcome::Error if blocks => TestCase::error(
            &f.rule_id,
            Duration::ZERO,
            "could-not-evaluate",
            &clean(&f.message),
        ),
        Outcome::Pass => TestCase::success(&f.rule_id, Duration::ZERO),
        Outcome::Fail | Outcome::Error => {
            let mut case = TestCase::success(&f.rule_id, Duration::ZERO);
            case.set_system_out(&clean(&format!(
                "not blocking: {} at severity {}, below --fail-on {fail_on}\n{body}",
                f.outcome, f.severity
            )));
            not_blocking.push((
                format!("not_blocking.{}", f.rule_id),
                format!("{} ({}): {}", f.outcome, f.severity, f.message),
            ));
            case
        }
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
    case
}

/// The gather itself as a case, always present under the stable name `gather`, so the
/// JUnit verdict matches the exit code: calls that failed end the run on exit 3 even when
/// no rule read what they would have fetched, and without this case such a run would show
/// every rule green. It passes when every call succeeded, is an `<error>` (type
/// `gather-error`, one line per failed call in the body) when a call failed, and is
/// `<skipped>` (type `allowed`) when `--allow-gather-errors` let the run go on.
fn gather_case(e: &Evaluation<'_>) -> TestCase {
    if e.snapshot.errors.is_empty() {
        TestCase::success("gather", Duration::ZERO)
    } else {
        let outages = super::outages(e);
        let text = outages
            .iter()
            .map(|o| {
                let blocked = o
                    .blocked_line()
                    .map(|l| format!("\n  {l}"))
                    .unwrap_or_default();
                format!("{}: {}{blocked}", o.error.section, o.error.describe())
            })
            .collect::<Vec<_>>()
            .join("\n");
        let blocked: Vec<&str> = outages
            .iter()
            .flat_map(|o| o.blocked.iter().map(|f| f.rule_id.as_str()))
            .collect();
        // The call itself in the message when it is the only one: some CI views show only it.
        let mut message = match outages.as_slice() {
            [one] => format!("1 call(s) failed while gathering: {}", one.error.describe()),
            all => format!("{} call(s) failed while gathering", all.len()),
        };
        if !blocked.is_empty() {
            let _ = write!(
                message,
                "; {} rule(s) could not be evaluated: {}",
                blocked.len(),
                blocked.join(", ")
            );
        }
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
    }
}

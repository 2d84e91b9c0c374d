//! The rule engine: pure evaluation of rules against a snapshot.
//!
//! No I/O and no clock: the snapshot, the rules, the waivers and today's date come in as
//! arguments, so the same inputs always give the same findings. Rules see the snapshot as
//! JSON (the documented snapshot schema), never the server's wire types.

pub mod check;
pub mod finding;
mod incumbent;
mod replay;
pub mod scope;
pub mod selector;
mod template;
pub mod waiver;

pub use template::{
    cites_value as template_cites_value, placeholders as template_placeholders,
    BUILTINS as TEMPLATE_BUILTINS,
};

use serde_json::Value;

pub use check::{Check, CheckSet, Conditions, FieldCondition};
pub use finding::{Finding, Outcome, Severity, Status, Verdict};
pub use scope::Scope;
pub use selector::Selector;
pub use waiver::{Waiver, WaiverNote};

use crate::redact::Masks;
use crate::snapshot::{Snapshot, INCUMBENT};
use check::{Absent, Context, Mode, Selection, Verdict as CheckVerdict};
use selector::{Reached, Why};

/// A validated rule, ready to evaluate.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub description: String,
    pub remediation: Option<String>,
    pub select: Selector,
    pub check: CheckSet,
    /// Failure message template: `{value}`, `{count}`, `{path}` and any snapshot path.
    pub message: Option<String>,
    /// When the rule applies (empty: always).
    pub scope: Scope,
    /// Where the rule was defined (`policies/baseline.toml`), for reports.
    pub source: String,
    /// The line of its `id` in that file (annotations and SARIF point there).
    pub line: usize,
}

/// The findings of one evaluation, and what became of the waivers.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    pub findings: Vec<Finding>,
    pub waiver_notes: Vec<WaiverNote>,
}

/// Evaluates every rule against the snapshot, in rule order, then applies the waivers that
/// are still valid on `today` (days since 1970-01-01, UTC). Messages quote values as they are.
pub fn evaluate(snapshot: &Snapshot, rules: &[Rule], waivers: &[Waiver], today: i64) -> Evaluation {
    evaluate_with(snapshot, rules, waivers, today, false)
}

/// As [`evaluate`], but every value a message quotes is shown as the redacted snapshot shows
/// it (`redact::decide`, taken on the very document the rules read): rules judge the real
/// values, outputs never see a secret.
pub fn evaluate_redacted(
    snapshot: &Snapshot,
    rules: &[Rule],
    waivers: &[Waiver],
    today: i64,
) -> Evaluation {
    evaluate_with(snapshot, rules, waivers, today, true)
}

fn evaluate_with(
    snapshot: &Snapshot,
    rules: &[Rule],
    waivers: &[Waiver],
    today: i64,
    redact: bool,
) -> Evaluation {
    // Serialising the typed snapshot cannot fail: it is plain data with string keys.
    let doc = serde_json::to_value(snapshot).unwrap_or(Value::Null);
    let masks = if redact {
        crate::redact::decide(&doc)
    } else {
        Masks::none()
    };
    let saved = replay::Saved::of(&snapshot.manifest.redacted, &doc);
    let cx = Context {
        doc: &doc,
        masks: redact.then_some(&masks),
    };
    let mut findings: Vec<Finding> = rules
        .iter()
        .map(|rule| evaluate_rule(snapshot, cx, &saved, rule))
        .collect();
    let waiver_notes = waiver::apply(waivers, &mut findings, &doc, today);
    if redact {
        // What no value mask covers: a path naming a secret-shaped key, a server's message
        // quoting a secret.
        for f in &mut findings {
            f.message = masks.text(&f.message);
            f.detail = masks.text(&f.detail);
        }
    }
    Evaluation {
        findings,
        waiver_notes,
    }
}

/// The sections a scope reads; when one is missing because its call failed, that call is
/// what left the scope undecided.
const SCOPED_SECTIONS: [&str; 3] = ["registered_model", "model_version", "run"];

fn evaluate_rule(
    snapshot: &Snapshot,
    cx: Context<'_>,
    saved: &replay::Saved,
    rule: &Rule,
) -> Finding {
    let doc = cx.doc;
    let (outcome, detail, values, blocked_by) = match rule.scope.excludes(doc) {
        Some(scope::Scoped::Out(reason)) => (
            Outcome::Skipped,
            format!("not applicable: {reason}"),
            Vec::new(),
            None,
        ),
        Some(scope::Scoped::Unknown(reason)) => (
            Outcome::Error,
            format!("could not evaluate: {reason}"),
            Vec::new(),
            SCOPED_SECTIONS
                .iter()
                .filter(|s| doc.get(**s).is_none_or(Value::is_null))
                .find_map(|s| blocker(snapshot, s)),
        ),
        None => decide(snapshot, cx, saved, rule),
    };
    let message = match (outcome, &rule.message) {
        // A template that shows the value cannot say what is wrong when nothing was found
        // ("accuracy <missing> is below 0.8"): say what is missing instead.
        (Outcome::Fail, Some(template)) if values.is_empty() && template::shows_value(template) => {
            format!("{}: {detail}", rule.title)
        }
        (Outcome::Fail, Some(template)) => {
            template::render(template, cx, &values, rule.select.as_str())
        }
        // Without a message template, say what was found after the title.
        (Outcome::Fail, None) => format!("{}: {detail}", rule.title),
        (Outcome::Pass, _) => rule.title.clone(),
        (Outcome::Error | Outcome::Skipped | Outcome::Waived, _) => detail.clone(),
    };
    Finding {
        rule_id: rule.id.clone(),
        title: rule.title.clone(),
        severity: rule.severity,
        outcome,
        message,
        detail,
        select: rule.select.as_str().to_string(),
        source: rule.source.clone(),
        line: rule.line,
        waiver: None,
        blocked_by,
        compared: compared(rule),
    }
}

/// The direction and allowance of the rule's `not_worse_than` check, if it has one.
fn compared(rule: &Rule) -> Option<finding::Compared> {
    rule.check.0.iter().find_map(|c| match c {
        Check::NotWorseThan(c) => Some(finding::Compared {
            higher_is_better: c.better == check::Better::Higher,
            by_more_than: match c.tolerance {
                check::Tolerance::Absolute(t) => Some(t),
                _ => None,
            },
            by_more_than_ratio: match c.tolerance {
                check::Tolerance::Ratio(r) => Some(r),
                _ => None,
            },
        }),
        _ => None,
    })
}

/// The failed call that left `path` unread: its index in the snapshot's errors.
fn blocker(snapshot: &Snapshot, path: &str) -> Option<usize> {
    let e = snapshot.error_for(path)?;
    snapshot.errors.iter().position(|x| std::ptr::eq(x, e))
}

/// The outcome of one rule, what was found, the values the selector reached, and the failed
/// call that kept it from being evaluated.
fn decide<'a>(
    snapshot: &Snapshot,
    cx: Context<'a>,
    saved: &replay::Saved,
    rule: &Rule,
) -> (Outcome, String, Vec<&'a Value>, Option<usize>) {
    let doc = cx.doc;
    if incumbent::read_by(rule) {
        if let Some((outcome, detail)) = incumbent::unreadable(snapshot) {
            let blocked_by = (outcome == Outcome::Error)
                .then(|| blocker(snapshot, INCUMBENT))
                .flatten();
            return (outcome, detail, Vec::new(), blocked_by);
        }
    }
    let mut selection = Selection {
        fans_out: rule.select.fans_out(),
        ..Selection::default()
    };
    let mut gaps = Vec::new();
    for reached in rule.select.reach(doc) {
        match reached {
            Reached::Found { value, .. } => selection.found.push(value),
            Reached::Missing { path, why } => match gap(snapshot, &path, &why) {
                Some(g) => gaps.push(g),
                None => selection.absent.push(Absent {
                    path,
                    what: why.describe(),
                }),
            },
        }
    }
    // The values the checks compare with are read like the selection: a failed call or an
    // ungathered section is never compared (an absent value inside is the check's to judge).
    let mut compared = Vec::new();
    for reference in rule.check.references() {
        for reached in reference.reach(doc) {
            match reached {
                Reached::Missing { path, why } => gaps.extend(gap(snapshot, &path, &why)),
                Reached::Found { value, .. } => compared.push(value),
            }
        }
    }
    // Fail closed: an error outweighs a section that is merely unavailable.
    let worst = gaps
        .iter()
        .position(|(o, _, _)| *o == Outcome::Error)
        .or((!gaps.is_empty()).then_some(0));
    if let Some(i) = worst {
        let (outcome, detail, blocked_by) = gaps.swap_remove(i);
        return (outcome, detail, Vec::new(), blocked_by);
    }
    // A snapshot saved redacted no longer holds the values it redacted: a rule that reads one
    // cannot be judged on it (the live check judged the real value).
    if let Some(e) = saved.read_by(&rule.check, selection.found.iter().chain(&compared)) {
        return (
            Outcome::Error,
            format!("could not evaluate: {e}"),
            Vec::new(),
            None,
        );
    }
    match rule.check.evaluate(&selection, Mode::Rule, cx) {
        CheckVerdict::Pass => (Outcome::Pass, String::new(), selection.found, None),
        CheckVerdict::Fail(detail) => (Outcome::Fail, detail, selection.found, None),
        CheckVerdict::Error(e) => (
            Outcome::Error,
            format!("could not evaluate: {e}"),
            selection.found,
            None,
        ),
    }
}

/// Why nothing is at `path` when it is not simply absent: the call that gathers it failed
/// (error), the backend cannot provide it (skipped), its section was never gathered (error),
/// or the value before it is of the wrong kind (error: `run.params.lr.x` where `lr` is text).
/// `None`: the section was gathered and the value is absent from it — the checks judge that
/// (positive checks fail, saying what is missing). With the outcome, the failed call behind
/// it (its index in the snapshot's errors), when a call failed.
fn gap(snapshot: &Snapshot, path: &str, why: &Why) -> Option<(Outcome, String, Option<usize>)> {
    if let Some(e) = snapshot.error_for(path) {
        // The incumbent's sections look like the candidate's: say whose call failed.
        let whose = e
            .section
            .strip_prefix(INCUMBENT)
            .and_then(|rest| rest.strip_prefix('.'))
            .map(|rest| format!("the incumbent's {rest} could not be gathered: "))
            .unwrap_or_default();
        return Some((
            Outcome::Error,
            format!("could not evaluate: {whose}{}", e.describe()),
            blocker(snapshot, path),
        ));
    }
    if let Some(u) = snapshot.unavailable_for(path) {
        return Some((
            Outcome::Skipped,
            format!(
                "not applicable: {} is not available ({})",
                u.section, u.reason
            ),
            None,
        ));
    }
    if crate::snapshot::is_section(path) {
        return Some((
            Outcome::Error,
            format!("could not evaluate: section `{path}` was not gathered"),
            None,
        ));
    }
    why.is_mismatch().then(|| {
        (
            Outcome::Error,
            format!("could not evaluate: {}", why.describe()),
            None,
        )
    })
}

/// The overall result of a set of findings at a failure threshold, given how many gather
/// errors the snapshot records and whether they may pass.
pub fn verdict(
    findings: &[Finding],
    fail_on: Severity,
    gather_errors: usize,
    gather_errors_allowed: bool,
    all_skipped_allowed: bool,
) -> Verdict {
    Verdict::of(
        findings,
        fail_on,
        gather_errors,
        gather_errors_allowed,
        all_skipped_allowed,
    )
}

#[cfg(test)]
mod tests;

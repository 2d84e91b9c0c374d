//! The rule engine: pure evaluation of rules against a snapshot.
//!
//! No I/O and no clock: everything comes in as arguments, so the same inputs always give the
//! same findings. Rules see the snapshot as JSON (the documented snapshot schema), never the
//! server's wire types.

pub mod check;
pub mod finding;
pub mod selector;
mod template;

pub use template::{placeholders as template_placeholders, BUILTINS as TEMPLATE_BUILTINS};

use serde_json::Value;

pub use check::{Check, CheckSet, FieldCondition};
pub use finding::{Finding, Outcome, Severity, Verdict};
pub use selector::Selector;

use crate::snapshot::Snapshot;
use check::Verdict as CheckVerdict;
use selector::Reached;

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
    /// Where the rule was defined (`policies/baseline.toml`), for reports.
    pub source: String,
}

/// Evaluates every rule against the snapshot, in rule order.
pub fn evaluate(snapshot: &Snapshot, rules: &[Rule]) -> Vec<Finding> {
    // Serialising the typed snapshot cannot fail: it is plain data with string keys.
    let doc = serde_json::to_value(snapshot).unwrap_or(Value::Null);
    rules
        .iter()
        .map(|rule| evaluate_rule(snapshot, &doc, rule))
        .collect()
}

fn evaluate_rule(snapshot: &Snapshot, doc: &Value, rule: &Rule) -> Finding {
    let (outcome, detail, values) = decide(snapshot, doc, rule);
    let message = match outcome {
        Outcome::Fail => template::render(
            rule.message.as_deref().unwrap_or(&rule.title),
            doc,
            &values,
            rule.select.as_str(),
        ),
        Outcome::Pass => rule.title.clone(),
        Outcome::Error | Outcome::Skipped | Outcome::Waived => detail.clone(),
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
    }
}

/// The outcome of one rule, what was found, and the values the selector reached.
fn decide<'a>(
    snapshot: &Snapshot,
    doc: &'a Value,
    rule: &Rule,
) -> (Outcome, String, Vec<&'a Value>) {
    let reached = rule.select.reach(doc);
    let mut found = Vec::new();
    let mut absent = Vec::new();
    for r in reached {
        match r {
            Reached::Found { value, .. } => found.push(value),
            Reached::Missing { path, depth } => {
                // Fail closed: a failed call or an ungathered section is never a pass.
                if let Some(e) = snapshot.error_for(&path) {
                    let status = match (e.http_status, e.error_code.as_deref()) {
                        (Some(s), Some(c)) => format!("HTTP {s} {c}: "),
                        (Some(s), None) => format!("HTTP {s}: "),
                        (None, Some(c)) => format!("{c}: "),
                        (None, None) => String::new(),
                    };
                    return (
                        Outcome::Error,
                        format!(
                            "could not evaluate: {} failed ({status}{})",
                            e.call, e.message
                        ),
                        Vec::new(),
                    );
                }
                if let Some(u) = snapshot.unavailable_for(&path) {
                    return (
                        Outcome::Skipped,
                        format!(
                            "not applicable: {} is not available ({})",
                            u.section, u.reason
                        ),
                        Vec::new(),
                    );
                }
                if depth == 1 {
                    return (
                        Outcome::Error,
                        format!("could not evaluate: section `{path}` was not gathered"),
                        Vec::new(),
                    );
                }
                absent.push(path);
            }
        }
    }
    let mut verdicts = Vec::new();
    for check in &rule.check.0 {
        if check.is_quantifier() {
            if !absent.is_empty() {
                verdicts.push(CheckVerdict::Error(format!(
                    "{} is not in the snapshot",
                    absent.join(", ")
                )));
                continue;
            }
            // `entries` (a list) and `entries[*]` (its elements) both quantify over elements.
            let items: Vec<&Value> = match found.as_slice() {
                [Value::Array(list)] if !rule.select.fans_out() => list.iter().collect(),
                _ => found.clone(),
            };
            verdicts.push(check.on_items(&items));
        } else {
            verdicts.extend(absent.iter().map(|path| check.on_absent(path)));
            verdicts.extend(found.iter().map(|value| check.on_value(value)));
        }
    }
    let error = verdicts.iter().find_map(|v| match v {
        CheckVerdict::Error(e) => Some(e.clone()),
        _ => None,
    });
    if let Some(e) = error {
        return (Outcome::Error, format!("could not evaluate: {e}"), found);
    }
    let failures: Vec<String> = verdicts
        .into_iter()
        .filter_map(|v| match v {
            CheckVerdict::Fail(m) => Some(m),
            _ => None,
        })
        .collect();
    if failures.is_empty() {
        (Outcome::Pass, String::new(), found)
    } else {
        (Outcome::Fail, failures.join("; "), found)
    }
}

/// The overall result of a set of findings at a failure threshold.
pub fn verdict(findings: &[Finding], fail_on: Severity) -> Verdict {
    Verdict::of(findings, fail_on)
}

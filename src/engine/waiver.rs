//! Waivers: an accepted failure of one rule for some models, with a reason, an owner and an
//! expiry. A waiver past its expiry no longer applies; one that matched nothing is reported.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Finding, Outcome};
use crate::glob;

/// A validated waiver.
#[derive(Debug, Clone)]
pub struct Waiver {
    pub rule: String,
    /// Registered model name glob; `None` waives the rule for every model.
    pub model: Option<String>,
    /// Versions the waiver covers; empty: all versions.
    pub versions: Vec<String>,
    pub reason: String,
    pub owner: String,
    /// `YYYY-MM-DD`, valid through that day (UTC).
    pub expires: String,
    /// `expires` as days since 1970-01-01.
    pub expires_day: i64,
    /// Where it was written, for notes: file name and byte span.
    pub source: String,
    pub span: std::ops::Range<usize>,
}

/// What a waiver did, recorded on the finding it covered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedWaiver {
    pub reason: String,
    pub owner: String,
    pub expires: String,
    pub source: String,
    /// The outcome before the waiver (`fail`).
    pub waived_outcome: Outcome,
}

/// A waiver that needs attention: expired, or matched nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaiverNote {
    /// Index into the waivers given to `evaluate`.
    pub index: usize,
    pub expired: bool,
    pub message: String,
}

/// Applies waivers to the findings; returns the notes about expired and unmatched waivers.
pub fn apply(
    waivers: &[Waiver],
    findings: &mut [Finding],
    doc: &Value,
    today: i64,
) -> Vec<WaiverNote> {
    let name = doc
        .pointer("/target/name")
        .or_else(|| doc.pointer("/registered_model/name"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let version = doc
        .pointer("/target/version")
        .and_then(Value::as_str)
        .unwrap_or("");
    let mut notes = Vec::new();
    for (index, w) in waivers.iter().enumerate() {
        let covers_model = w.model.as_deref().is_none_or(|g| glob::matches(g, name))
            && (w.versions.is_empty() || w.versions.iter().any(|v| v == version));
        let target = findings
            .iter_mut()
            // Only failures: a waiver accepts a known problem, and must not also hide a later
            // outage that leaves the rule unevaluable.
            .find(|f| f.rule_id == w.rule && f.outcome == Outcome::Fail);
        if w.expires_day < today {
            // An expired waiver stops applying, whether or not it would have matched.
            notes.push(WaiverNote {
                index,
                expired: true,
                message: format!(
                    "waiver for `{}` (owner {}) expired on {}; it no longer applies",
                    w.rule, w.owner, w.expires
                ),
            });
            continue;
        }
        match target {
            Some(finding) if covers_model => {
                let was = finding.outcome;
                finding.waiver = Some(AppliedWaiver {
                    reason: w.reason.clone(),
                    owner: w.owner.clone(),
                    expires: w.expires.clone(),
                    source: w.source.clone(),
                    waived_outcome: was,
                });
                finding.message = format!(
                    "waived by {} until {}: {} (was {was}: {})",
                    w.owner, w.expires, w.reason, finding.message
                );
                finding.outcome = Outcome::Waived;
            }
            _ => notes.push(WaiverNote {
                index,
                expired: false,
                message: format!(
                    "waiver for `{}`{} matched nothing in this run (the rule passed, was skipped, or the model is another)",
                    w.rule,
                    w.model.as_deref().map(|m| format!(" on models `{m}`")).unwrap_or_default()
                ),
            }),
        }
    }
    notes
}

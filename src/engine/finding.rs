//! Findings (one per rule) and the verdict over all of them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How much a rule matters. Ordered: `info < warning < error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub const NAMES: [&'static str; 3] = ["error", "warning", "info"];

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "error" => Some(Self::Error),
            "warning" => Some(Self::Warning),
            "info" => Some(Self::Info),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened to one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail,
    /// The rule could not be evaluated: data missing or a call failed. Never a pass.
    Error,
    /// Not applicable to this model version.
    Skipped,
    /// Failed, but covered by a waiver.
    Waived,
}

impl Outcome {
    pub const ALL: [Outcome; 5] = [
        Outcome::Fail,
        Outcome::Error,
        Outcome::Waived,
        Outcome::Skipped,
        Outcome::Pass,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::Error => "error",
            Self::Skipped => "skipped",
            Self::Waived => "waived",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The result of one rule on one model version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub rule_id: String,
    pub title: String,
    pub severity: Severity,
    pub outcome: Outcome,
    /// The rendered message (failure template, error reason, or the title on a pass). An
    /// error's message always starts with `could not evaluate: `, so a reporter that prefixes
    /// its own "could not be evaluated" says it twice: show the message as it is.
    pub message: String,
    /// What the checks found (empty on a pass).
    pub detail: String,
    pub select: String,
    /// The policy file the rule came from, and the line of the rule's `id` there.
    pub source: String,
    #[serde(default)]
    pub line: usize,
    /// The waiver that covers this finding (outcome `waived`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<super::waiver::AppliedWaiver>,
    /// For a rule that could not be evaluated because a call failed: that call, as its index
    /// in the snapshot's `errors`. Outputs say an outage once, listing the rules it blocked,
    /// instead of once per rule; a rule that failed on facts that were gathered has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked_by: Option<usize>,
    /// For a rule that compares its selection with another value (`not_worse_than`): which
    /// way is better and how much worse it allows, as the policy wrote them, so a report can
    /// draw the rule's own direction and tolerance beside the numbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compared: Option<Compared>,
}

/// The direction and allowance of a `not_worse_than` rule, in the policy's own terms.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Compared {
    /// `true` for `better = "higher"`, `false` for `"lower"` (as the policy says it in JSON).
    #[serde(rename = "better", with = "better_text")]
    pub higher_is_better: bool,
    /// `by_more_than`: an allowance in the metric's own units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by_more_than: Option<f64>,
    /// `by_more_than_ratio`: an allowance as a fraction of the reference's magnitude.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by_more_than_ratio: Option<f64>,
}

impl Compared {
    /// How much worse than `reference` the rule allows, in the metric's own units.
    pub fn allowance(&self, reference: f64) -> f64 {
        self.by_more_than
            .or(self.by_more_than_ratio.map(|r| r * reference.abs()))
            .unwrap_or(0.0)
    }
}

/// `better = "higher" | "lower"` in JSON, as in the policy.
mod better_text {
    use serde::{Deserialize, Deserializer, Serializer};

    #[allow(clippy::trivially_copy_pass_by_ref)] // serde's `with` signature
    pub(super) fn serialize<S: Serializer>(higher: &bool, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(if *higher { "higher" } else { "lower" })
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        match String::deserialize(d)?.as_str() {
            "higher" => Ok(true),
            "lower" => Ok(false),
            other => Err(serde::de::Error::custom(format!(
                "better must be \"higher\" or \"lower\", not {other:?}"
            ))),
        }
    }
}

impl Finding {
    /// Whether this finding blocks at the given threshold: a failure or an evaluation error
    /// of a rule at or above it.
    pub fn blocks(&self, fail_on: Severity) -> bool {
        self.severity >= fail_on && matches!(self.outcome, Outcome::Fail | Outcome::Error)
    }

    /// The failed call (its index in the snapshot's `errors`) this rule could not be
    /// evaluated for, if that is why it was not.
    pub fn blocker(&self) -> Option<usize> {
        self.blocked_by.filter(|_| self.outcome == Outcome::Error)
    }
}

/// What a run decided, with one meaning each (and one exit code each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every rule at or above the threshold passed (or was waived / not applicable), and every
    /// fact was gathered (or gather errors were allowed).
    Pass,
    /// A rule at or above the threshold definitively failed: the model is known to be red.
    Fail,
    /// No rule failed, but a call failed or a rule could not be evaluated: nothing is known
    /// about the model, so this is neither a pass nor a policy failure.
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Error => "error",
        }
    }

    /// `PASS`, `FAIL`, `ERROR`.
    pub fn headline(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Error => "ERROR",
        }
    }
}

/// The overall result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub passed: bool,
    pub status: Status,
    pub fail_on: Severity,
    /// How many findings had each outcome, in [`Outcome::ALL`] order.
    pub counts: Vec<(Outcome, usize)>,
    /// Rule ids of the blocking findings.
    pub blocking: Vec<String>,
    /// Calls that failed while gathering. Fail closed: they fail the run even when no rule
    /// read the section, unless the caller allowed them (`--allow-gather-errors`).
    pub gather_errors: usize,
    pub gather_errors_allowed: bool,
    /// Every rule was out of scope: nothing was judged, so this is no pass (unless allowed).
    #[serde(default)]
    pub nothing_applied: bool,
}

impl Verdict {
    pub fn of(
        findings: &[Finding],
        fail_on: Severity,
        gather_errors: usize,
        gather_errors_allowed: bool,
        all_skipped_allowed: bool,
    ) -> Self {
        let nothing_applied = !findings.is_empty()
            && findings.iter().all(|f| f.outcome == Outcome::Skipped)
            && !all_skipped_allowed;
        let blocking: Vec<String> = findings
            .iter()
            .filter(|f| f.blocks(fail_on))
            .map(|f| f.rule_id.clone())
            .collect();
        let failed = findings
            .iter()
            .any(|f| f.blocks(fail_on) && f.outcome == Outcome::Fail);
        let status = if failed {
            Status::Fail
        } else if (gather_errors > 0 && !gather_errors_allowed) || nothing_applied {
            Status::Error
        } else if blocking.is_empty() {
            Status::Pass
        } else if gather_errors_allowed {
            // Allowed gather errors keep the earlier rule: a blocking rule that could not be
            // evaluated fails the policy.
            Status::Fail
        } else {
            Status::Error
        };
        Self {
            passed: status == Status::Pass,
            status,
            gather_errors,
            gather_errors_allowed,
            nothing_applied,
            fail_on,
            counts: Outcome::ALL
                .iter()
                .map(|o| (*o, findings.iter().filter(|f| f.outcome == *o).count()))
                .collect(),
            blocking,
        }
    }

    pub fn count(&self, outcome: Outcome) -> usize {
        self.counts
            .iter()
            .find(|(o, _)| *o == outcome)
            .map_or(0, |(_, n)| *n)
    }
}

//! Reporters: one file per output format, all rendered from the same inputs — the snapshot
//! and, when a policy was evaluated, the findings and verdict. Reporters never decide the
//! verdict and never see HTTP types.

pub mod codequality;
pub mod compare;
pub mod github;
pub mod history;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod notice;
pub mod promotion;
pub mod reporter;
pub mod sanitize;
pub mod sarif;
pub mod summary;
pub mod terminal;

#[cfg(test)]
mod formats;

use crate::engine::{Finding, Outcome, Verdict};
use crate::snapshot::{GatherError, Snapshot};

/// Everything a reporter may show about one evaluated model version.
#[derive(Debug, Clone)]
pub struct Evaluation<'a> {
    pub snapshot: &'a Snapshot,
    pub findings: &'a [Finding],
    pub verdict: &'a Verdict,
    pub policy_files: &'a [String],
    pub policy_digest: &'a str,
    /// Notes on waivers: expired ones, and ones that matched nothing.
    pub notes: &'a [String],
    /// `promote`: what the promotion did (moved, not moved, dry run, already held, unknown).
    pub promotion: Option<&'a promotion::Promotion>,
}

/// A call that failed while gathering, with the rules it kept from being evaluated: what
/// every format says once, instead of once per rule.
#[derive(Debug)]
pub struct Outage<'a> {
    pub error: &'a GatherError,
    /// The rules (in policy order) that could not be evaluated because of it.
    pub blocked: Vec<&'a Finding>,
}

impl Outage<'_> {
    /// The ids of the rules it blocked, in policy order.
    pub fn blocked_ids(&self) -> Vec<&str> {
        self.blocked.iter().map(|f| f.rule_id.as_str()).collect()
    }

    /// `3 rules could not be evaluated: a, b, c`, or nothing when it blocked none.
    pub fn blocked_line(&self) -> Option<String> {
        let n = self.blocked.len();
        (n > 0).then(|| {
            format!(
                "{n} rule{} could not be evaluated: {}",
                if n == 1 { "" } else { "s" },
                self.blocked_ids().join(", ")
            )
        })
    }
}

/// Every call of the version that failed, in the snapshot's order, with the rules it blocked.
pub fn outages<'a>(e: &Evaluation<'a>) -> Vec<Outage<'a>> {
    e.snapshot
        .errors
        .iter()
        .enumerate()
        .map(|(i, error)| Outage {
            error,
            blocked: e
                .findings
                .iter()
                .filter(|f| f.blocker() == Some(i))
                .collect(),
        })
        .collect()
}

/// Whether a failed call kept this rule from being evaluated: such rules are said under
/// their outage ([`outages`]), not one by one.
pub fn is_blocked(e: &Evaluation<'_>, f: &Finding) -> bool {
    f.blocker().is_some_and(|i| i < e.snapshot.errors.len())
}

/// One line on a rule that failed or could not be evaluated, for sinks that list results
/// without a table (annotations, Code Quality): `MODEL: RULE failed: MESSAGE` or `MODEL:
/// RULE could not be evaluated: REASON`. The engine's reasons usually say "could not
/// evaluate: …" themselves; then the verb is not added a second time. Not sanitised: each
/// sink does that.
pub fn finding_line(model: &str, f: &Finding) -> String {
    let says_it = {
        let m = f.message.trim_start().to_ascii_lowercase();
        m.starts_with("could not") || m.starts_with("cannot")
    };
    match f.outcome {
        Outcome::Error if says_it => format!("{model}: {}: {}", f.rule_id, f.message),
        Outcome::Error => format!(
            "{model}: {} could not be evaluated: {}",
            f.rule_id, f.message
        ),
        _ => format!("{model}: {} failed: {}", f.rule_id, f.message),
    }
}

/// Text for a Markdown table cell (or any Markdown text): see [`sanitize::markdown`].
pub fn escape_cell(text: &str) -> String {
    sanitize::markdown(text)
}

/// `11239015445` → `11,239,015,445`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The example snapshot judged by the baseline, owned, for reporters' unit tests.
#[cfg(test)]
pub(crate) struct Fixture {
    pub snapshot: Snapshot,
    pub findings: Vec<Finding>,
    pub verdict: Verdict,
    pub notes: Vec<String>,
    pub files: Vec<String>,
}

#[cfg(test)]
impl Fixture {
    /// `models:/dolly3b/1` (3 failures, 1 evaluation error, 1 gather error), changed by
    /// `change` before it is judged; one expired-waiver note.
    pub(crate) fn example(change: impl FnOnce(&mut Snapshot)) -> Self {
        let mut snapshot = crate::snapshot::io::parse(
            crate::app::EXAMPLE_SNAPSHOT,
            std::path::Path::new("example.json"),
        )
        .expect("example snapshot");
        change(&mut snapshot);
        let policy = crate::policy::load(&[crate::policy::baseline()]).expect("baseline");
        let evaluation = crate::engine::evaluate(&snapshot, &policy.rules, &[], 0);
        let verdict = crate::engine::verdict(
            &evaluation.findings,
            crate::engine::Severity::Error,
            snapshot.errors.len(),
            false,
            false,
        );
        Self {
            snapshot,
            findings: evaluation.findings,
            verdict,
            notes: vec![
                "waiver for `no-metrics` (owner ml-team) expired on 2024-01-31; it no longer applies"
                    .into(),
            ],
            files: policy.files,
        }
    }

    pub(crate) fn evaluation(&self) -> Evaluation<'_> {
        Evaluation {
            snapshot: &self.snapshot,
            findings: &self.findings,
            verdict: &self.verdict,
            policy_files: &self.files,
            policy_digest: "sha256:0",
            notes: &self.notes,
            promotion: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_escape_pipes_and_newlines() {
        assert_eq!(escape_cell("a|b\nc"), "a\\|b<br/>c");
        assert_eq!(thousands(11_239_015_445), "11,239,015,445");
        assert_eq!(thousands(999), "999");
    }
}

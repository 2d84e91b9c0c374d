//! Rules that read the incumbent (the version a promotion would replace): which rules do, and
//! what becomes of them when there is no incumbent to read.
//!
//! A rule reads the incumbent when its selector, or a value one of its checks compares with,
//! starts with `incumbent`. Three situations make such a rule unjudgeable before any check
//! runs: the incumbent could not be gathered (an error, as for any failed call); no version
//! holds the promotion target (skipped, with the reason: a first promotion has nothing to be
//! compared with, which is neither a pass nor a failure — even for `exists = false`); and the
//! snapshot has no incumbent section at all because no promotion was named (an error with a
//! hint, since the rule was written to compare and cannot).

use super::check::reads_incumbent;
use super::{Outcome, Rule};
use crate::snapshot::{Snapshot, INCUMBENT};

/// Whether the rule reads the incumbent, through its selector or a compared value.
pub fn read_by(rule: &Rule) -> bool {
    reads_incumbent(&rule.select) || rule.check.references().into_iter().any(reads_incumbent)
}

/// The outcome of a rule reading the incumbent when the incumbent cannot be read; `None` when
/// it can (its paths are then judged one by one, like the candidate's).
pub fn unreadable(snapshot: &Snapshot) -> Option<(Outcome, String)> {
    if let Some(e) = snapshot.error_for(INCUMBENT) {
        let what = if e.section == INCUMBENT {
            "the incumbent could not be gathered: "
        } else {
            ""
        };
        return Some((
            Outcome::Error,
            format!("could not evaluate: {what}{}", e.describe()),
        ));
    }
    if let Some(u) = snapshot.unavailable_for(INCUMBENT) {
        return Some((
            Outcome::Skipped,
            format!(
                "not applicable: {}, so there is no incumbent to compare with",
                u.reason
            ),
        ));
    }
    if snapshot.incumbent.is_none() {
        return Some((
            Outcome::Error,
            "could not evaluate: the snapshot has no incumbent, because no promotion target was named; the incumbent is gathered by `mlgate promote`, or by `check` with --target-alias/--target-stage".to_string(),
        ));
    }
    None
}

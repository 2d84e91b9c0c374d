//! Reporters: one file per output format, all rendered from the same inputs — the snapshot
//! and, when a policy was evaluated, the findings and verdict. Reporters never decide the
//! verdict and never see HTTP types.

pub mod compare;
pub mod github;
pub mod json;
pub mod junit;
pub mod junit_ext;
pub mod junit_many;
pub mod markdown;
pub mod sanitize;
pub mod sarif;
pub mod summary;
pub mod terminal;

use crate::engine::{Finding, Verdict};
use crate::snapshot::Snapshot;

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

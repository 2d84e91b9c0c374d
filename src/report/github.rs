//! GitHub Actions output: workflow-command annotations (most severe first, since GitHub shows
//! only the first ten of each kind per step), the job summary (`$GITHUB_STEP_SUMMARY`, capped
//! at 1 MiB by GitHub) and step outputs (`$GITHUB_OUTPUT`).

use std::fmt::Write;

use super::sanitize::{github_data as data, github_property as property};
use super::Evaluation;
use crate::engine::{Outcome, Severity};

/// GitHub's annotation display limit per kind and step.
const SHOWN_PER_KIND: usize = 10;
/// GitHub rejects step summaries above 1 MiB.
const SUMMARY_LIMIT: usize = 1024 * 1024 - 4096;

/// `::error …::message` lines, errors first; a notice says how many were not shown.
pub fn annotations(e: &Evaluation<'_>) -> String {
    let mut findings: Vec<_> = e
        .findings
        .iter()
        .filter(|f| matches!(f.outcome, Outcome::Fail | Outcome::Error))
        .collect();
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    let model = e.snapshot.model_uri();
    let mut out = String::new();
    let mut shown = [0usize; 3];
    let mut hidden = 0;
    for f in findings {
        let (kind, slot) = match f.severity {
            Severity::Error => ("error", 0),
            Severity::Warning => ("warning", 1),
            Severity::Info => ("notice", 2),
        };
        if shown[slot] >= SHOWN_PER_KIND {
            hidden += 1;
            continue;
        }
        shown[slot] += 1;
        let title = format!("{}: {}", f.rule_id, f.title);
        let verb = if f.outcome == Outcome::Error {
            "could not be evaluated"
        } else {
            "failed"
        };
        let _ = writeln!(
            out,
            "::{kind} file={},line={},title={}::{}",
            property(&f.source),
            f.line.max(1),
            property(&title),
            data(&format!("{model}: {} {verb}: {}", f.rule_id, f.message))
        );
    }
    if !e.snapshot.errors.is_empty() {
        let _ = writeln!(
            out,
            "::{} title=mlgate: gather errors::{}",
            if e.verdict.gather_errors_allowed {
                "warning"
            } else {
                "error"
            },
            data(&format!(
                "{} call(s) failed while gathering {model}: {}",
                e.snapshot.errors.len(),
                e.snapshot
                    .errors
                    .iter()
                    .map(|g| format!("{} ({})", g.section, g.message))
                    .collect::<Vec<_>>()
                    .join("; ")
            ))
        );
    }
    if hidden > 0 {
        let _ = writeln!(
            out,
            "::notice title=mlgate::{}",
            data(&format!(
                "{hidden} more findings are not shown here; see the report"
            ))
        );
    }
    out
}

/// The Markdown job summary: the verdict and the findings table, then — when a promotion was
/// evaluated — the candidate against the incumbent, kept under GitHub's limit. Messages are
/// clipped row by row, each to an equal share of the room left (at most [`MESSAGE_BUDGET`]),
/// so one enormous message cannot push every other rule out of the table: each rule id and
/// outcome is always listed. The comparison is clipped on its own (rows and cells, see
/// `markdown::comparison_fragment`) and its room is set aside first.
pub fn summary(e: &Evaluation<'_>) -> String {
    let comparison = super::markdown::comparison_fragment(e.snapshot).map(|c| {
        if c.len() > COMPARISON_BUDGET {
            TOO_LONG.to_string()
        } else {
            c
        }
    });
    let limit = SUMMARY_LIMIT - comparison.as_ref().map_or(0, String::len);
    let v = e.verdict;
    let mut out = format!(
        "### mlgate: {} — {}\n\n",
        v.status.headline(),
        super::escape_cell(&e.snapshot.model_uri())
    );
    let counts: Vec<String> = v.counts.iter().map(|(o, n)| format!("{n} {o}")).collect();
    let _ = writeln!(out, "{} at `--fail-on {}`.\n", counts.join(", "), v.fail_on);
    out.push_str("| rule | severity | outcome | message |\n| --- | --- | --- | --- |\n");
    let heads: Vec<String> = e
        .findings
        .iter()
        .map(|f| format!("| `{}` | {} | {} | ", f.rule_id, f.severity, f.outcome))
        .collect();
    let fixed: usize = heads.iter().map(|h| h.len() + " |\n".len()).sum();
    let share = limit
        .saturating_sub(out.len() + fixed + TRUNCATED.len())
        .checked_div(heads.len())
        .unwrap_or(0)
        .min(MESSAGE_BUDGET);
    for (f, head) in e.findings.iter().zip(&heads) {
        let row = format!("{head}{} |\n", clip_cell(&f.message, share));
        // Only reached when the rule ids alone overflow the limit (tens of thousands of rules).
        if out.len() + row.len() > limit - TRUNCATED.len() {
            out.push_str(TRUNCATED);
            break;
        }
        out.push_str(&row);
    }
    if let Some(comparison) = comparison {
        out.push_str(&comparison);
    }
    out
}

/// The most room the comparison may take in the summary. Its tables are already clipped to a
/// few rows of short cells; this bounds what escaping can still add.
const COMPARISON_BUDGET: usize = 256 * 1024;
const TOO_LONG: &str =
    "\n#### Candidate vs incumbent\n\n_Too long for the job summary: see the report._\n";

/// The most of one message the summary shows, in bytes once escaped.
const MESSAGE_BUDGET: usize = 2000;
const TRUNCATED: &str = "\n_(truncated: GitHub caps the summary at 1 MiB; see the full report)_\n";

/// A message escaped for a table cell, cut at a character (never inside an escape) so that it
/// fits `max` bytes, with `…` marking the cut.
fn clip_cell(message: &str, max: usize) -> String {
    let escaped = super::escape_cell(message);
    if escaped.len() <= max {
        return escaped;
    }
    let room = max.saturating_sub("…".len());
    let mut out = String::new();
    let mut chars = message.chars().peekable();
    while let Some(c) = chars.next() {
        let piece = match c {
            '\r' if chars.peek() == Some(&'\n') => {
                chars.next();
                "<br/>".to_string()
            }
            c => super::escape_cell(c.encode_utf8(&mut [0; 4])),
        };
        if out.len() + piece.len() > room {
            break;
        }
        out.push_str(&piece);
    }
    out.push('…');
    out
}

/// `key=value` step outputs.
pub fn outputs(e: &Evaluation<'_>) -> String {
    let v = e.verdict;
    let mut out = format!(
        "verdict={}\ngather_errors={}\n",
        v.status.as_str(),
        v.gather_errors
    );
    for (outcome, n) in &v.counts {
        let _ = writeln!(out, "{outcome}={n}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_clipped_between_escapes() {
        assert_eq!(clip_cell("a|b", 100), "a\\|b");
        assert_eq!(clip_cell("ab|cd", 5), "ab…");
        assert_eq!(clip_cell("a\r\nbcdefghij", 10), "a<br/>b…");
        assert_eq!(clip_cell("ééé", 5), "é…");
    }

    #[test]
    fn workflow_commands_are_escaped() {
        assert_eq!(data("50%\nnext"), "50%25%0Anext");
        assert_eq!(property("a: b, c"), "a%3A b%2C c");
    }
}

//! The short terminal summary: one line per rule that did not pass, then the verdict.
//! Colour only when the caller says so (a TTY without `NO_COLOR`).

use std::fmt::Write;

use super::Evaluation;
use crate::engine::Outcome;

/// Renders the summary; `color` adds ANSI colours.
pub fn render(e: &Evaluation<'_>, color: bool) -> String {
    let paint = |code: &str, text: &str| {
        if color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "mlgate: {} ({})",
        e.snapshot.model_uri(),
        e.snapshot.target.reference
    );
    for f in e.findings {
        let (code, label) = match f.outcome {
            Outcome::Pass => continue,
            Outcome::Fail if f.blocks(e.verdict.fail_on) => ("1;31", "FAIL"),
            Outcome::Fail => ("33", "warn"),
            Outcome::Error => ("1;35", "ERROR"),
            Outcome::Skipped => ("2", "skip"),
            Outcome::Waived => ("36", "waived"),
        };
        let _ = writeln!(
            out,
            "  {:<6} {:<7} {}: {}",
            paint(code, label),
            f.severity.as_str(),
            f.rule_id,
            f.message
        );
    }
    let counts: Vec<String> = e
        .verdict
        .counts
        .iter()
        .map(|(o, n)| format!("{n} {o}"))
        .collect();
    let headline = if e.verdict.passed {
        paint("1;32", "PASS")
    } else {
        paint("1;31", "FAIL")
    };
    let _ = writeln!(
        out,
        "{headline}: {} rules ({}) at --fail-on {}",
        e.findings.len(),
        counts.join(", "),
        e.verdict.fail_on
    );
    out
}

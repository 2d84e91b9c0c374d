//! The short terminal summary: one line per rule that did not pass (after one line comparing
//! the candidate with the incumbent, when a promotion was evaluated), then the verdict.
//! Colour only when the caller says so (a TTY without `NO_COLOR`). Every server string goes
//! through [`sanitize::terminal`] before mlgate adds its own colours, so the only escape
//! sequences in the output are mlgate's.

use std::fmt::Write;

use super::reporter::{Reporter, Shape};
use super::sanitize;
use super::summary::Summary;
use super::Evaluation;
use crate::engine::Outcome;

/// The terminal reporter: one version's summary, or the bulk run's closing lines.
pub struct Terminal {
    shape: Shape,
    color: bool,
}

impl Terminal {
    pub fn new(shape: Shape, color: bool) -> Self {
        Self { shape, color }
    }
}

impl Reporter for Terminal {
    fn version(&mut self, e: &Evaluation<'_>, out: &mut String) {
        if self.shape == Shape::One {
            out.push_str(&render(e, self.color));
        }
    }

    fn finish(&mut self, s: &Summary, out: &mut String) {
        if self.shape == Shape::Many {
            // The 50 versions most worth a look; the report lists them all.
            out.push_str(&super::summary::terminal(s, self.color, 50));
        }
    }
}

/// Renders the summary; `color` adds ANSI colours.
pub fn render(e: &Evaluation<'_>, color: bool) -> String {
    // Pad before painting: a width counts the escape codes too, so `{:<6}` on a painted label
    // would pad nothing and the columns would drift on a terminal only.
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
        sanitize::terminal(&e.snapshot.model_uri()),
        sanitize::terminal(&e.snapshot.target.reference)
    );
    if let Some(comparison) = super::compare::compare(e.snapshot) {
        let _ = writeln!(
            out,
            "  {} {}",
            paint("36", "compared:"),
            sanitize::terminal(&comparison.headline())
        );
    }
    // A rule a failed call kept from being evaluated is said under that call, below.
    for f in e.findings.iter().filter(|f| !super::is_blocked(e, f)) {
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
            "  {} {:<7} {}: {}",
            paint(code, &format!("{label:<6}")),
            f.severity.as_str(),
            sanitize::terminal(&f.rule_id),
            sanitize::terminal(&f.message)
        );
    }
    let gathered = &e.snapshot.errors;
    if !gathered.is_empty() {
        let label = if e.verdict.gather_errors_allowed {
            paint("33", "gather")
        } else {
            paint("1;35", "GATHER")
        };
        for outage in super::outages(e) {
            let g = outage.error;
            let blocked = outage
                .blocked_line()
                .map(|l| format!("; {l}"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {label} {}: {}{}",
                sanitize::terminal(&g.section),
                sanitize::terminal(&g.describe()),
                sanitize::terminal(&blocked)
            );
        }
    }
    let counts: Vec<String> = e
        .verdict
        .counts
        .iter()
        .map(|(o, n)| format!("{n} {o}"))
        .collect();
    let headline = match e.verdict.status {
        crate::engine::Status::Pass => paint("1;32", "PASS"),
        crate::engine::Status::Fail => paint("1;31", "FAIL"),
        crate::engine::Status::Error => paint("1;33", "ERROR"),
    };
    let nothing = if e.verdict.nothing_applied {
        "; no rule applied (every rule out of scope; --allow-all-skipped to accept)"
    } else {
        ""
    };
    let gather = match (gathered.len(), e.verdict.gather_errors_allowed) {
        (0, _) => String::new(),
        (n, false) => format!(
            "; {n} gather error{} (fail closed; --allow-gather-errors to accept)",
            if n == 1 { "" } else { "s" }
        ),
        (n, true) => format!(
            "; {n} gather error{} allowed",
            if n == 1 { "" } else { "s" }
        ),
    };
    let _ = writeln!(
        out,
        "{headline}: {} rules ({}) at --fail-on {}{gather}{nothing}",
        e.findings.len(),
        counts.join(", "),
        e.verdict.fail_on
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{self, Severity};
    use crate::policy::{self, PolicyText, BUNDLED};
    use crate::snapshot::io as snapshot_io;

    /// Without the escape codes, the coloured summary is the plain one, padding included.
    #[test]
    fn colours_do_not_eat_the_padding() {
        let snapshot = snapshot_io::parse(
            crate::app::EXAMPLE_SNAPSHOT,
            std::path::Path::new("example.json"),
        )
        .unwrap();
        let (_, name, text) = BUNDLED[0];
        let policy = policy::load(&[PolicyText {
            name: name.into(),
            text: text.into(),
        }])
        .unwrap();
        let evaluation = engine::evaluate(&snapshot, &policy.rules, &[], 0);
        let verdict = engine::verdict(
            &evaluation.findings,
            Severity::Error,
            snapshot.errors.len(),
            false,
            false,
        );
        let e = Evaluation {
            snapshot: &snapshot,
            findings: &evaluation.findings,
            verdict: &verdict,
            policy_files: &[],
            policy_digest: "",
            notes: &[],
            promotion: None,
        };
        let plain = render(&e, false);
        let painted = render(&e, true);
        assert_ne!(plain, painted);
        let stripped = regex::Regex::new("\x1b\\[[0-9;]*m")
            .unwrap()
            .replace_all(&painted, "");
        assert_eq!(stripped, plain);
        // The labels are padded to one width: the severities line up.
        assert!(
            plain.contains("  FAIL   error   users-group-can-manage"),
            "{plain}"
        );
        assert!(plain.contains("  GATHER permissions.experiment"), "{plain}");
    }
}

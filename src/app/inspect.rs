//! `mlgate lint`, `mlgate rules` and `mlgate explain`: looking at policies without a model.

use std::fmt::Write;
use std::path::Path;

use super::config::{self, Effective};
use super::error::{AppError, UsageError};
use super::pipeline::prepare::EXAMPLE_SNAPSHOT;
use crate::cli::{ExplainArgs, LintArgs, RulesArgs};
use crate::engine::{self, Rule};
use crate::exit::Exit;
use crate::policy::{self, PolicyLoadError};
use crate::snapshot::io as snapshot_io;

pub(super) fn lint(args: &LintArgs) -> Result<Exit, AppError> {
    let texts = policy::read_paths(&args.policies)?;
    let policy = policy::load(&texts).map_err(PolicyLoadError::from)?;
    super::stdio::out(&format!(
        "ok: {} rule{} and {} waiver{} in {} file{}\n",
        policy.rules.len(),
        plural(policy.rules.len()),
        policy.waivers.len(),
        plural(policy.waivers.len()),
        policy.files.len(),
        plural(policy.files.len())
    ))?;
    Ok(Exit::Pass)
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

pub(super) fn rules(args: &RulesArgs) -> Result<Exit, AppError> {
    let Effective { policy, .. } = config::effective(&args.policy)?;
    super::stdio::out(&rules_table(&policy.rules))?;
    Ok(Exit::Pass)
}

/// Titles longer than this are cut with `…` in `mlgate rules` (`mlgate explain` shows them
/// whole), so one long title cannot push the scope column off the screen.
const TITLE_MAX: usize = 72;

/// The rules as an aligned text table: each column as wide as its widest cell.
pub(super) fn rules_table(rules: &[Rule]) -> String {
    let width = |s: &str| s.chars().count();
    let titles: Vec<String> = rules.iter().map(|r| shorten(&r.title, TITLE_MAX)).collect();
    let id_width = rules
        .iter()
        .map(|r| width(&r.id))
        .fold(width("ID"), usize::max);
    let title_width = titles
        .iter()
        .map(|t| width(t))
        .fold(width("TITLE"), usize::max);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<id_width$}  {:<8}  {:<title_width$}  SCOPE",
        "ID", "SEVERITY", "TITLE"
    );
    for (r, title) in rules.iter().zip(&titles) {
        let _ = writeln!(
            out,
            "{:<id_width$}  {:<8}  {:<title_width$}  {}",
            r.id,
            r.severity.as_str(),
            title,
            r.scope.describe()
        );
    }
    out
}

/// `text` cut to at most `max` characters, the last one `…` when something was cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

pub(super) fn explain(args: &ExplainArgs) -> Result<Exit, AppError> {
    let Effective { policy, .. } = config::effective(&args.policy)?;
    let Some(rule) = policy.rules.iter().find(|r| r.id == args.rule) else {
        let suggestion =
            crate::suggest::closest(&args.rule, policy.rules.iter().map(|r| r.id.as_str()))
                .map(str::to_string);
        return Err(UsageError::ExplainUnknownRule {
            id: args.rule.clone(),
            suggestion,
        }
        .into());
    };
    super::stdio::out(&explain_rule(rule))?;
    Ok(Exit::Pass)
}

/// A rule explained, with the finding it gives on the bundled example snapshot.
pub(super) fn explain_rule(rule: &Rule) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} ({})", rule.id, rule.severity);
    let _ = writeln!(out, "  {}\n", rule.title);
    let _ = writeln!(
        out,
        "Why it matters:\n  {}\n",
        rule.description.trim().replace('\n', "\n  ")
    );
    if let Some(fix) = &rule.remediation {
        let _ = writeln!(out, "Remediation:\n  {}\n", fix.trim());
    }
    let _ = writeln!(
        out,
        "Check:\n  select = {:?}\n  check = {{ {} }}",
        rule.select.as_str(),
        rule.check.describe()
    );
    if let Some(message) = &rule.message {
        let _ = writeln!(out, "  message = {message:?}");
    }
    let _ = writeln!(out, "\nApplies: {}", rule.scope.describe());
    let _ = writeln!(out, "Defined in: {}", rule.source);
    if let Ok(snapshot) = snapshot_io::parse(
        EXAMPLE_SNAPSHOT,
        Path::new("examples/dolly3b.snapshot.json"),
    ) {
        let evaluation = engine::evaluate(&snapshot, std::slice::from_ref(rule), &[], 0);
        if let Some(f) = evaluation.findings.first() {
            let _ = writeln!(
                out,
                "\nExample finding (on the bundled example, models:/dolly3b/1):\n  {}: {}",
                f.outcome, f.message
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{CheckSet, Scope, Selector, Severity};

    fn rule(id: &str, title: &str) -> Rule {
        Rule {
            id: id.into(),
            title: title.into(),
            severity: Severity::Warning,
            description: String::new(),
            remediation: None,
            select: Selector::parse("run.params").unwrap(),
            check: CheckSet::default(),
            message: None,
            scope: Scope::default(),
            source: "t.toml".into(),
            line: 1,
        }
    }

    #[test]
    fn the_rules_table_stays_aligned_past_long_titles() {
        let long = "The source run records the git commit it was trained from, and the branch, and the repository";
        let table = rules_table(&[
            rule("short", "A title"),
            rule("a-longer-rule-id", long),
            rule("ünïcode", "Tïtle with ümlauts — and a dash"),
        ]);
        let lines: Vec<&str> = table.lines().collect();
        // Every row's scope starts where the header's SCOPE does (counted in characters).
        let scope_at = |line: &str| line.chars().count() - "always".chars().count();
        let header_at = lines[0].chars().count() - "SCOPE".len();
        for line in &lines[1..] {
            assert!(line.ends_with("  always"), "{line}");
            assert_eq!(scope_at(line), header_at, "{table}");
        }
        let cut = shorten(long, TITLE_MAX);
        assert!(lines[2].contains(&cut), "{table}");
        assert!(
            cut.ends_with('…') && cut.chars().count() <= TITLE_MAX,
            "{cut}"
        );
        assert_eq!(shorten("short", TITLE_MAX), "short");
    }
}

//! `mlgate lint`, `mlgate rules` and `mlgate explain`: looking at policies without a model.

use std::fmt::Write;
use std::path::Path;

use super::config::{self, Effective};
use super::{AppError, EXAMPLE_SNAPSHOT};
use crate::cli::{ExplainArgs, LintArgs, RulesArgs};
use crate::engine::{self, Rule};
use crate::exit::Exit;
use crate::policy::{self, PolicyLoadError};
use crate::snapshot::io as snapshot_io;

pub fn lint(args: &LintArgs) -> Result<Exit, AppError> {
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

pub fn rules(args: &RulesArgs) -> Result<Exit, AppError> {
    let Effective { policy, .. } = config::effective(&args.policy)?;
    super::stdio::out(&rules_table(&policy.rules))?;
    Ok(Exit::Pass)
}

/// The rules as an aligned text table.
pub fn rules_table(rules: &[Rule]) -> String {
    let id_width = rules.iter().map(|r| r.id.len()).max().unwrap_or(2).max(2);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<id_width$}  {:<8}  {:<40}  SCOPE",
        "ID", "SEVERITY", "TITLE"
    );
    for r in rules {
        let _ = writeln!(
            out,
            "{:<id_width$}  {:<8}  {:<40}  {}",
            r.id,
            r.severity.as_str(),
            r.title,
            r.scope.describe()
        );
    }
    out
}

pub fn explain(args: &ExplainArgs) -> Result<Exit, AppError> {
    let Effective { policy, .. } = config::effective(&args.policy)?;
    let Some(rule) = policy.rules.iter().find(|r| r.id == args.rule) else {
        let hint = crate::suggest::closest(&args.rule, policy.rules.iter().map(|r| r.id.as_str()))
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        return Err(AppError::Usage(format!(
            "no rule `{}` in the policies in effect{hint} (`mlgate rules` lists them)",
            args.rule
        )));
    };
    super::stdio::out(&explain_rule(rule))?;
    Ok(Exit::Pass)
}

/// A rule explained, with the finding it gives on the bundled example snapshot.
pub fn explain_rule(rule: &Rule) -> String {
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

//! The summary of a bulk run (`check --all-models`): verdict counts, the versions that failed
//! with the rules they fail, a rule × outcome table, and the versions that could not be
//! gathered — as Markdown (`--report`) and as the terminal's closing lines. Built from one
//! small [`VersionResult`] per version, so the snapshots can be dropped as the run goes.

use std::fmt::Write;

use indexmap::IndexMap;

use super::{escape_cell, sanitize};
use crate::engine::{Finding, Outcome, Severity, Status, Verdict};

/// What the summary keeps of one checked version.
#[derive(Debug, Clone)]
pub struct VersionResult {
    pub model: String,
    pub version: String,
    pub status: Status,
    /// Blocking rules that failed.
    pub failed: Vec<String>,
    /// Blocking rules that could not be evaluated.
    pub errored: Vec<String>,
    /// Calls that failed while gathering.
    pub gather_errors: usize,
    /// Why nothing could be gathered, when nothing was.
    pub not_gathered: Option<String>,
    /// The version's own files (`--snapshot-dir`, `--report-dir`), as written.
    pub files: Files,
}

/// Where a bulk run wrote one version's own files: names that do not fit a file system are
/// shortened (`~` and a hash), so the JSON says which file holds which version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Files {
    pub snapshot: Option<String>,
    pub report: Option<String>,
}

impl VersionResult {
    pub fn new(
        model: &str,
        version: &str,
        findings: &[Finding],
        verdict: &Verdict,
        not_gathered: Option<String>,
    ) -> Self {
        let blocking = |outcome: Outcome| {
            findings
                .iter()
                .filter(|f| f.outcome == outcome && f.blocks(verdict.fail_on))
                .map(|f| f.rule_id.clone())
                .collect()
        };
        // A version nothing could be gathered for is an error, whatever the rules said
        // (as a single `check` ends on exit 3), unless a rule definitely failed.
        let status = match (verdict.status, &not_gathered) {
            (Status::Fail, _) => Status::Fail,
            (_, Some(_)) => Status::Error,
            (status, None) => status,
        };
        Self {
            model: model.to_string(),
            version: version.to_string(),
            status,
            failed: blocking(Outcome::Fail),
            errored: blocking(Outcome::Error),
            gather_errors: verdict.gather_errors,
            not_gathered,
            files: Files::default(),
        }
    }
}

/// A whole bulk run.
#[derive(Debug, Default)]
pub struct Summary {
    /// Sorted by model and version number.
    pub versions: Vec<VersionResult>,
    /// Per rule id (in policy order), how many versions had each outcome ([`Outcome::ALL`]).
    pub rules: IndexMap<String, [usize; 5]>,
    /// How many versions were selected (more than `versions` when the run was interrupted).
    pub selected: usize,
    pub models: usize,
    /// What was asked for: filter, versions, shard.
    pub selection: String,
    pub fail_on: Option<Severity>,
    pub interrupted: bool,
    /// What went wrong with the run as a whole (nothing selected, the registry could not be
    /// listed, an output could not be written): the run is an error whatever the versions
    /// said, so the JSON status, the headline and the exit code agree.
    pub problem: Option<String>,
}

impl Summary {
    /// Counts one version's findings into the rule table.
    pub fn count(&mut self, findings: &[Finding]) {
        for f in findings {
            let row = self.rules.entry(f.rule_id.clone()).or_default();
            if let Some(i) = Outcome::ALL.iter().position(|o| *o == f.outcome) {
                row[i] += 1;
            }
        }
    }

    /// Sorts the versions for display (they arrive in completion order).
    pub fn sort(&mut self) {
        let number = |v: &str| v.parse::<u64>().unwrap_or(u64::MAX);
        self.versions.sort_by(|a, b| {
            a.model
                .cmp(&b.model)
                .then_with(|| number(&a.version).cmp(&number(&b.version)))
        });
    }

    pub fn with_status(&self, status: Status) -> impl Iterator<Item = &VersionResult> {
        self.versions.iter().filter(move |v| v.status == status)
    }

    pub fn tally(&self, status: Status) -> usize {
        self.with_status(status).count()
    }

    /// The run's status: any failure fails it; else any error (or an interrupted run, or a
    /// problem with the run itself) makes it an error; else it passes.
    pub fn status(&self) -> Status {
        if self.tally(Status::Fail) > 0 {
            Status::Fail
        } else if self.tally(Status::Error) > 0 || self.interrupted || self.problem.is_some() {
            Status::Error
        } else {
            Status::Pass
        }
    }

    fn headline(&self) -> String {
        let mut line = format!(
            "{} version{} of {} model{} checked: {} pass, {} fail, {} error",
            self.versions.len(),
            plural(self.versions.len()),
            self.models,
            plural(self.models),
            self.tally(Status::Pass),
            self.tally(Status::Fail),
            self.tally(Status::Error),
        );
        if self.interrupted {
            let _ = write!(
                line,
                "; interrupted: {} of {} selected versions not checked",
                self.selected - self.versions.len(),
                self.selected
            );
        }
        if let Some(problem) = &self.problem {
            let _ = write!(line, "; {problem}");
        }
        line
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn status_word(status: Status) -> &'static str {
    match status {
        Status::Pass => "PASS",
        Status::Fail => "FAIL",
        Status::Error => "ERROR",
    }
}

/// The Markdown summary (`--report` with `--all-models`).
pub fn markdown(s: &Summary) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# mlgate audit: {}\n", status_word(s.status()));
    let _ = writeln!(out, "{}.\n", s.headline());
    if !s.selection.is_empty() {
        let _ = writeln!(out, "Selection: {}.\n", escape_cell(&s.selection));
    }
    if let Some(fail_on) = s.fail_on {
        let _ = writeln!(out, "Blocking at `--fail-on {fail_on}`.\n");
    }
    let _ = writeln!(out, "| Verdict | Versions |\n| --- | ---: |");
    for status in [Status::Pass, Status::Fail, Status::Error] {
        let _ = writeln!(out, "| {} | {} |", status_word(status), s.tally(status));
    }
    out.push('\n');

    let failing: Vec<&VersionResult> = s.with_status(Status::Fail).collect();
    if !failing.is_empty() {
        let _ = writeln!(
            out,
            "## Failing versions ({})\n\n| Model | Version | Fails | Could not evaluate |\n| --- | ---: | --- | --- |",
            failing.len()
        );
        for v in failing {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                escape_cell(&v.model),
                escape_cell(&v.version),
                rule_list(&v.failed),
                rule_list(&v.errored)
            );
        }
        out.push('\n');
    }

    let errors: Vec<&VersionResult> = s.with_status(Status::Error).collect();
    if !errors.is_empty() {
        let _ = writeln!(
            out,
            "## Versions with errors ({})\n\nNothing failed, but facts are missing: calls failed while gathering, or rules could not be evaluated.\n\n| Model | Version | Why |\n| --- | ---: | --- |",
            errors.len()
        );
        for v in errors {
            let why = if let Some(reason) = &v.not_gathered {
                format!("could not be gathered: {}", escape_cell(reason))
            } else {
                let mut parts = Vec::new();
                if v.gather_errors > 0 {
                    parts.push(format!(
                        "{} call{} failed",
                        v.gather_errors,
                        plural(v.gather_errors)
                    ));
                }
                if !v.errored.is_empty() {
                    parts.push(format!("could not evaluate {}", rule_list(&v.errored)));
                }
                parts.join("; ")
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                escape_cell(&v.model),
                escape_cell(&v.version),
                why
            );
        }
        out.push('\n');
    }

    if !s.rules.is_empty() {
        let _ = write!(out, "## Rules\n\n| Rule |");
        for o in Outcome::ALL {
            let _ = write!(out, " {} |", o.as_str());
        }
        let _ = write!(out, "\n| --- |");
        for _ in Outcome::ALL {
            out.push_str(" ---: |");
        }
        out.push('\n');
        for (rule, counts) in &s.rules {
            let _ = write!(out, "| `{}` |", escape_cell(rule));
            for n in counts {
                let _ = write!(out, " {n} |");
            }
            out.push('\n');
        }
    }
    out
}

fn rule_list(rules: &[String]) -> String {
    rules
        .iter()
        .map(|r| format!("`{}`", escape_cell(r)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The closing lines on the terminal: each version that did not pass (at most `limit`), then
/// the counts.
pub fn terminal(s: &Summary, color: bool, limit: usize) -> String {
    let paint = |code: &str, text: &str| {
        if color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    };
    let mut out = String::new();
    let not_passed: Vec<&VersionResult> = s
        .versions
        .iter()
        .filter(|v| v.status != Status::Pass)
        .collect();
    for v in not_passed.iter().take(limit) {
        let (code, label) = match v.status {
            Status::Fail => ("1;31", "FAIL"),
            _ => ("1;35", "ERROR"),
        };
        let why = match &v.not_gathered {
            Some(reason) => format!("could not be gathered: {reason}"),
            None if !v.failed.is_empty() => v.failed.join(", "),
            None if !v.errored.is_empty() => format!("could not evaluate {}", v.errored.join(", ")),
            None => format!("{} call(s) failed while gathering", v.gather_errors),
        };
        let _ = writeln!(
            out,
            "  {:<6} {}/{}: {}",
            paint(code, label),
            sanitize::terminal(&v.model),
            sanitize::terminal(&v.version),
            sanitize::terminal(&why)
        );
    }
    if not_passed.len() > limit {
        let _ = writeln!(
            out,
            "  … and {} more (see --report, --junit or --json)",
            not_passed.len() - limit
        );
    }
    let headline = match s.status() {
        Status::Pass => paint("1;32", "PASS"),
        Status::Fail => paint("1;31", "FAIL"),
        Status::Error => paint("1;33", "ERROR"),
    };
    let _ = writeln!(out, "{headline}: {}", sanitize::terminal(&s.headline()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(model: &str, v: &str, status: Status, failed: &[&str]) -> VersionResult {
        VersionResult {
            model: model.into(),
            version: v.into(),
            status,
            failed: failed.iter().map(|s| (*s).to_string()).collect(),
            errored: Vec::new(),
            gather_errors: 0,
            not_gathered: None,
            files: Files::default(),
        }
    }

    fn sample() -> Summary {
        let mut s = Summary {
            versions: vec![
                version("b", "10", Status::Pass, &[]),
                version("b", "9", Status::Fail, &["has-signature"]),
                version("a", "1", Status::Pass, &[]),
                VersionResult {
                    not_gathered: Some("404 RESOURCE_DOES_NOT_EXIST".into()),
                    ..version("a|x", "2", Status::Error, &[])
                },
            ],
            selected: 4,
            models: 3,
            selection: "all versions".into(),
            fail_on: Some(Severity::Error),
            ..Summary::default()
        };
        s.rules.insert("has-signature".into(), [3, 1, 0, 0, 0]);
        s.sort();
        s
    }

    #[test]
    fn the_worst_version_decides_and_interrupted_runs_are_no_pass() {
        let mut s = sample();
        assert_eq!(s.status(), Status::Fail);
        s.versions.retain(|v| v.status != Status::Fail);
        assert_eq!(s.status(), Status::Error);
        s.versions.retain(|v| v.status == Status::Pass);
        assert_eq!(s.status(), Status::Pass);
        s.interrupted = true;
        assert_eq!(s.status(), Status::Error);
    }

    /// An empty selection (or any problem with the run itself) is no pass, and the headline
    /// the terminal and the report open with says why.
    #[test]
    fn a_problem_with_the_run_makes_it_an_error_and_is_said() {
        let mut s = Summary::default();
        assert_eq!(s.status(), Status::Pass);
        s.problem = Some("no versions selected".into());
        assert_eq!(s.status(), Status::Error);
        let text = terminal(&s, false, 5);
        assert_eq!(
            text,
            "ERROR: 0 versions of 0 models checked: 0 pass, 0 fail, 0 error; no versions selected\n"
        );
        assert!(markdown(&s).starts_with("# mlgate audit: ERROR\n"));
    }

    #[test]
    fn markdown_summary() {
        insta::assert_snapshot!(markdown(&sample()));
    }

    #[test]
    fn terminal_summary_is_capped() {
        let text = terminal(&sample(), false, 1);
        assert!(
            text.contains("ERROR  a|x/2: could not be gathered: 404"),
            "{text}"
        );
        assert!(!text.contains("b/9"), "{text}");
        assert!(terminal(&sample(), false, 5).contains("FAIL   b/9: has-signature"));
        assert!(text.contains("… and 1 more"), "{text}");
        assert!(
            text.ends_with("FAIL: 4 versions of 3 models checked: 2 pass, 1 fail, 1 error\n"),
            "{text}"
        );
    }
}

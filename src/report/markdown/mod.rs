//! The Markdown audit report: the verdict first, then — when a promotion was evaluated — the
//! candidate against the incumbent, then every fact of the snapshot in the layout of the report
//! mlgate replaces (Overview, MLflow Model, Run, Experiment, Registered Model, Registered Model
//! Version), then anything that could not be gathered.

mod chart;
mod doc;
mod sections;

use doc::Doc;

use super::reporter::{Reporter, Shape};
use super::summary::Summary;
use super::Evaluation;
use crate::engine::{Finding, Outcome};
use crate::snapshot::Snapshot;

/// The Markdown reporter (`--report`): one version's report, or the bulk run's summary.
pub struct Markdown {
    shape: Shape,
}

impl Markdown {
    pub fn new(shape: Shape) -> Self {
        Self { shape }
    }
}

impl Reporter for Markdown {
    fn version(&mut self, e: &Evaluation<'_>, out: &mut String) {
        if self.shape == Shape::One {
            out.push_str(&render(e.snapshot, Some(e)));
        }
    }

    fn finish(&mut self, s: &Summary, out: &mut String) {
        if self.shape == Shape::Many {
            out.push_str(&super::summary::markdown(s));
        }
    }
}

/// The report of a snapshot, with the verdict section when a policy was evaluated.
pub fn render(snapshot: &Snapshot, evaluation: Option<&Evaluation<'_>>) -> String {
    let mut doc = Doc::default();
    if let Some(evaluation) = evaluation {
        verdict(&mut doc, evaluation);
    }
    sections::comparison(
        &mut doc,
        snapshot,
        &sections::Layout {
            level: 1,
            evaluated: evaluation.is_some(),
            limits: None,
            findings: evaluation.map_or(&[], |e| e.findings),
        },
    );
    sections::overview(&mut doc, snapshot);
    sections::mlflow_model(&mut doc, snapshot);
    sections::run(&mut doc, snapshot);
    sections::experiment(&mut doc, snapshot);
    sections::registered_model(&mut doc, snapshot);
    sections::model_version(&mut doc, snapshot);
    sections::gathering(&mut doc, snapshot);
    doc.finish(&format!(
        "Model Audit: _{}_",
        super::escape_cell(&snapshot.target.reference)
    ))
}

/// The "Candidate vs incumbent" section for a size-capped document (the GitHub job summary):
/// headings under `###`, tables cut to [`SUMMARY_ROWS`] rows of cells cut to
/// [`SUMMARY_CELL_CHARS`] characters. `None` when no promotion was evaluated.
pub fn comparison_fragment(snapshot: &Snapshot, findings: &[Finding]) -> Option<String> {
    snapshot.incumbent.as_ref()?;
    let mut doc = Doc::default();
    sections::comparison(
        &mut doc,
        snapshot,
        &sections::Layout {
            level: 4,
            evaluated: true,
            limits: Some(sections::Limits {
                rows: SUMMARY_ROWS,
                cell_chars: SUMMARY_CELL_CHARS,
            }),
            findings,
        },
    );
    Some(doc.into_body())
}

/// Rows per comparison table in the job summary; the report has them all.
pub const SUMMARY_ROWS: usize = 25;
/// Characters per comparison cell in the job summary.
pub const SUMMARY_CELL_CHARS: usize = 100;

fn verdict(doc: &mut Doc, e: &Evaluation<'_>) {
    doc.heading(1, "Verdict");
    let v = e.verdict;
    let gather = match (v.gather_errors, v.gather_errors_allowed) {
        (0, _) => String::new(),
        (n, false) => format!(" {n} call{} failed while gathering (see [Gathering](#gathering)): what could not be read is never a pass.", if n == 1 { "" } else { "s" }),
        (n, true) => format!(" {n} call{} failed while gathering (see [Gathering](#gathering)); allowed by `--allow-gather-errors`.", if n == 1 { "" } else { "s" }),
    };
    let headline = if v.passed {
        format!(
            "**PASS**: no rule of severity `{}` or above failed or could not be evaluated.",
            v.fail_on
        )
    } else if v.nothing_applied {
        "**ERROR**: no rule applies to this model: every rule was out of scope, so nothing was judged. Check the rules' `when` scopes and `--target-stage` / `--target-alias`; `--allow-all-skipped` accepts such a run.".to_string()
    } else if v.status == crate::engine::Status::Error {
        format!(
            "**ERROR**: no rule failed, but the facts are incomplete: the gate could not decide.{}",
            if v.blocking.is_empty() {
                String::new()
            } else {
                format!(
                    " Could not be evaluated: {}.",
                    v.blocking
                        .iter()
                        .map(|id| format!("`{id}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        )
    } else {
        format!(
            "**FAIL**: {} blocking finding{} at `--fail-on {}`: {}.",
            v.blocking.len(),
            if v.blocking.len() == 1 { "" } else { "s" },
            v.fail_on,
            v.blocking
                .iter()
                .map(|id| format!("`{id}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    doc.paragraph(&format!("{headline}{gather}"));
    if let Some(p) = e.promotion {
        doc.paragraph(&promotion_line(p));
    }
    let links = crate::snapshot::derive::links(e.snapshot);
    let parts: Vec<String> = [
        ("model version", &links.model_version),
        ("run", &links.run),
        ("experiment", &links.experiment),
    ]
    .into_iter()
    .filter_map(|(label, url)| {
        url.as_ref()
            .map(|u| super::sanitize::markdown_link(label, u))
    })
    .collect();
    if !parts.is_empty() {
        doc.paragraph(&format!("Open in the UI: {}.", parts.join(" · ")));
    }
    let counts: Vec<Vec<String>> = Outcome::ALL
        .iter()
        .map(|o| vec![o.to_string(), v.count(*o).to_string()])
        .collect();
    doc.table(&["Outcome", "Count"], &counts);
    rule_tables(doc, e);
    if !e.notes.is_empty() {
        let rows: Vec<Vec<String>> = e.notes.iter().map(|n| vec![n.clone()]).collect();
        doc.table(&["Waiver note"], &rows);
    }
    doc.paragraph(&format!(
        "Policy: {} (`{}`).",
        e.policy_files
            .iter()
            .map(|f| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(", "),
        e.policy_digest
    ));
}

/// `**Promotion**: moved @champion from version 1 to version 4.`: what `promote` did, right
/// under the verdict (the job summary says it in the same words).
pub fn promotion_line(p: &super::promotion::Promotion) -> String {
    format!("**Promotion**: {}.", super::escape_cell(&p.sentence()))
}

/// The failed calls, each with the rules it kept from being evaluated, then one row per
/// other rule. A rule a failed call blocked is listed under that call instead of in a row of
/// its own, which would repeat the call's error once per rule (issue 19: one outage, one
/// error); a rule that failed or errored on facts that were gathered keeps its row. The rule
/// table is left out when the failed calls took every row (nothing could be gathered).
fn rule_tables(doc: &mut Doc, e: &Evaluation<'_>) {
    let outages: Vec<Vec<String>> = super::outages(e)
        .iter()
        .map(|o| {
            let blocked = o.blocked_ids();
            vec![
                o.error.section.clone(),
                o.error.describe(),
                if blocked.is_empty() {
                    "none".to_string()
                } else {
                    blocked.join(", ")
                },
            ]
        })
        .collect();
    if !outages.is_empty() {
        doc.table(&["Section", "Failed call", "Could not evaluate"], &outages);
    }
    let rows: Vec<Vec<String>> = e
        .findings
        .iter()
        .filter(|f| !super::is_blocked(e, f))
        .map(|f| {
            vec![
                f.rule_id.clone(),
                f.severity.to_string(),
                f.outcome.to_string(),
                f.message.clone(),
            ]
        })
        .collect();
    if !rows.is_empty() || outages.is_empty() {
        doc.table(&["Rule", "Severity", "Outcome", "Message"], &rows);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Fixture;

    /// The verdict section alone: what comes before the first fact section.
    fn verdict_of(fixture: &Fixture) -> String {
        let e = fixture.evaluation();
        let report = render(e.snapshot, Some(&e));
        let end = report.find("\n# Overview").expect("an overview");
        report[..end].to_string()
    }

    #[test]
    fn a_blocked_rule_is_listed_under_its_failed_call() {
        let verdict = verdict_of(&Fixture::example(|_| {}));
        assert!(
            verdict.contains(
                "\n|Section|Failed call|Could not evaluate|\n| :--- | :--- | :--- |\n|permissions.experiment|GET /api/2.0/permissions/experiments/3336498746257830 failed (HTTP 400 INVALID_PARAMETER_VALUE: Object 3336498746257830 not a experiment.)|experiment-users-group-can-manage|\n"
            ),
            "{verdict}"
        );
        assert!(!verdict.contains("could not evaluate:"), "{verdict}");
        assert!(
            !verdict.contains("\n|experiment-users-group-can-manage|"),
            "{verdict}"
        );
        // The rules that failed on gathered facts keep their rows.
        assert!(verdict.contains("\n|empty-params|error|fail|"), "{verdict}");
    }

    #[test]
    fn a_rule_that_errored_on_gathered_facts_keeps_its_row() {
        let mut fixture = Fixture::example(|_| {});
        for f in &mut fixture.findings {
            f.blocked_by = None;
        }
        let verdict = verdict_of(&fixture);
        assert!(
            verdict.contains(
                "\n|experiment-users-group-can-manage|error|error|could not evaluate: GET "
            ),
            "{verdict}"
        );
        // The call is still said, blocking nothing.
        assert!(verdict.contains("not a experiment.)|none|\n"), "{verdict}");
    }

    #[test]
    fn without_failed_calls_the_verdict_is_one_rule_table() {
        let mut fixture = Fixture::example(|_| {});
        fixture.snapshot.errors.clear();
        let verdict = verdict_of(&fixture);
        assert!(!verdict.contains("|Failed call|"), "{verdict}");
        assert!(
            verdict.contains("\n|experiment-users-group-can-manage|error|error|"),
            "{verdict}"
        );
    }
}

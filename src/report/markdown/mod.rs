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
use crate::engine::Outcome;
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
pub fn comparison_fragment(snapshot: &Snapshot) -> Option<String> {
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
    let rows: Vec<Vec<String>> = e
        .findings
        .iter()
        .map(|f| {
            vec![
                f.rule_id.clone(),
                f.severity.to_string(),
                f.outcome.to_string(),
                f.message.clone(),
            ]
        })
        .collect();
    doc.table(&["Rule", "Severity", "Outcome", "Message"], &rows);
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

//! The "Candidate vs incumbent" section: which version a promotion would replace, then the
//! shared metrics (table and chart), the params that changed and the signature differences —
//! or one line saying why there is nothing to compare. Placed after the verdict, because it is
//! what a reviewer of a promotion reads next. The same section, clipped, goes into the GitHub
//! job summary. Absent when the snapshot has no incumbent (no promotion was evaluated).

use super::super::chart;
use super::super::doc::Doc;
use crate::engine::Finding;
use crate::report::compare::{
    self, Compared, MetricDiff, ParamDiff, Signature, SignatureDiff, State,
};
use crate::report::escape_cell;
use crate::report::sanitize::markdown_code;
use crate::snapshot::Snapshot;

/// Where the section goes.
pub(crate) struct Layout<'a> {
    /// The section's heading level; its parts are one deeper.
    pub level: usize,
    /// Whether rules were evaluated (then a vacancy also says they were skipped).
    pub evaluated: bool,
    /// Clipping for a size-capped document (the job summary); `None` shows everything.
    pub limits: Option<Limits>,
    /// The findings, when rules were evaluated: the chart draws their directions and
    /// tolerances.
    pub findings: &'a [Finding],
}

/// How much of each table a size-capped document shows.
#[derive(Clone, Copy)]
pub(crate) struct Limits {
    pub rows: usize,
    pub cell_chars: usize,
}

/// The cell of a side that lacks the value.
const NONE: &str = "—";

pub(crate) fn comparison(doc: &mut Doc, s: &Snapshot, layout: &Layout) {
    let Some(c) = compare::compare(s) else {
        return;
    };
    doc.heading(layout.level, "Candidate vs incumbent");
    let holds = escape_cell(&c.holds);
    match &c.state {
        State::Vacant => doc.paragraph(&format!(
            "No version holds {holds}: this is the first promotion{}.",
            if layout.evaluated {
                "; rules that compare with the incumbent were skipped"
            } else {
                ""
            }
        )),
        State::NotGathered { version, errors } => {
            let who = match version {
                Some(v) => format!("The incumbent (version {}, holds {holds})", escape_cell(v)),
                None => format!("The version holding {holds}"),
            };
            if errors.is_empty() {
                doc.paragraph(&format!(
                    "{who} was not gathered: nothing about it is in the snapshot, so it is not compared."
                ));
            } else {
                doc.paragraph(&format!(
                    "{who} could not be gathered, so it is not compared:"
                ));
                let items: Vec<String> = errors
                    .iter()
                    .map(|(section, why)| {
                        format!(
                            "- {}: {}",
                            markdown_code(section),
                            escape_cell(&clip(why, layout.limits))
                        )
                    })
                    .collect();
                doc.paragraph(&items.join("\n"));
            }
        }
        State::Compared(compared) => {
            doc.paragraph(&format!(
                "**Candidate** {} · **Incumbent** version {}, holds {holds}",
                escape_cell(&c.candidate),
                escape_cell(&compared.version)
            ));
            parts(doc, compared, layout);
        }
    }
}

fn parts(doc: &mut Doc, c: &Compared, layout: &Layout) {
    let level = layout.level + 1;
    doc.heading(level, "Metrics compared");
    match &c.metrics {
        Ok(m) => metrics(doc, m, layout),
        Err(why) => not_compared(doc, why),
    }
    doc.heading(level, "Params compared");
    match &c.params {
        Ok(p) => params(doc, p, layout.limits),
        Err(why) => not_compared(doc, why),
    }
    doc.heading(level, "Signatures compared");
    match &c.signature {
        Ok(d) => signature(doc, d, layout.limits),
        Err(why) => not_compared(doc, why),
    }
}

fn not_compared(doc: &mut Doc, why: &str) {
    doc.paragraph(&format!("Not compared: {}.", escape_cell(why)));
}

fn metrics(doc: &mut Doc, m: &MetricDiff, layout: &Layout) {
    let (limits, findings) = (layout.limits, layout.findings);
    if m.shared.is_empty() && m.only_candidate.is_empty() && m.only_incumbent.is_empty() {
        doc.paragraph("Neither run logged a metric.");
        return;
    }
    if m.shared.is_empty() {
        doc.paragraph("No metric is in both runs.");
    }
    let mut rows: Vec<Vec<String>> = m
        .shared
        .iter()
        .map(|s| {
            vec![
                s.name.clone(),
                s.candidate.text.clone(),
                s.incumbent.text.clone(),
                s.difference()
                    .map_or_else(|| NONE.to_string(), |d| d.text()),
            ]
        })
        .collect();
    // One-sided metrics after the shared ones, never dropped: a metric the candidate no longer
    // logs is as much news as a changed one.
    rows.extend(m.only_candidate.iter().map(|(name, v)| {
        vec![
            name.clone(),
            v.text.clone(),
            NONE.into(),
            "only in the candidate".into(),
        ]
    }));
    rows.extend(m.only_incumbent.iter().map(|(name, v)| {
        vec![
            name.clone(),
            NONE.into(),
            v.text.clone(),
            "only in the incumbent".into(),
        ]
    }));
    table(
        doc,
        &[
            "Metric",
            "Candidate",
            "Incumbent",
            "Difference (candidate − incumbent)",
        ],
        rows,
        limits,
    );
    let Some(chart) = chart::metrics(&m.shared, findings) else {
        return;
    };
    doc.code_block("mermaid", chart.source.trim_end());
    let mut notes = vec![chart.legend.clone()];
    let names = |names: &[String]| -> String {
        let shown: Vec<String> = names
            .iter()
            .map(|n| escape_cell(&clip(n, limits)))
            .collect();
        shown.join(", ")
    };
    if !chart.guessed.is_empty() {
        notes.push(format!(
            "No rule gives the direction of {}: guessed from the name.",
            names(&chart.guessed)
        ));
    }
    if !chart.assumed.is_empty() {
        notes.push(format!(
            "Nothing gives the direction of {}: drawn as higher is better.",
            names(&chart.assumed)
        ));
    }
    if !chart.capped.is_empty() {
        notes.push(format!(
            "Drawn at the edge (a change beyond 50 %, as an incumbent near zero gives): {}.",
            names(&chart.capped)
        ));
    }
    if chart.charted < chart.chartable {
        notes.push(format!(
            "The chart shows the first {} of {} shared metrics.",
            chart.charted, chart.chartable
        ));
    }
    let unchartable = m.shared.len() - chart.chartable;
    if unchartable > 0 {
        notes.push(format!(
            "Not charted: {unchartable} shared metric{} with no relative change (not a finite \
             number on both sides, or zero in the incumbent).",
            if unchartable == 1 { "" } else { "s" }
        ));
    }
    doc.paragraph(&notes.join(" "));
}

fn params(doc: &mut Doc, p: &ParamDiff, limits: Option<Limits>) {
    let count = |n: usize, what: &str| (n > 0).then(|| format!("{n} {what}"));
    let changed = match p.changed.len() {
        0 => "No param changed".to_string(),
        1 => "1 param changed".to_string(),
        n => format!("{n} params changed"),
    };
    let sentence = [
        Some(changed),
        count(p.only_candidate.len(), "only in the candidate"),
        count(p.only_incumbent.len(), "only in the incumbent"),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    doc.paragraph(&format!("{sentence}; {} unchanged.", p.unchanged));
    if !p.is_same() {
        let mut rows: Vec<Vec<String>> = p
            .changed
            .iter()
            .map(|(k, c, i)| vec![k.clone(), c.clone(), i.clone()])
            .collect();
        rows.extend(
            p.only_candidate
                .iter()
                .map(|(k, v)| vec![k.clone(), v.clone(), NONE.into()]),
        );
        rows.extend(
            p.only_incumbent
                .iter()
                .map(|(k, v)| vec![k.clone(), NONE.into(), v.clone()]),
        );
        table(doc, &["Param", "Candidate", "Incumbent"], rows, limits);
    }
    if !p.redacted.is_empty() {
        let names: Vec<String> = p
            .redacted
            .iter()
            .map(|k| escape_cell(&clip(k, limits)))
            .collect();
        doc.paragraph(&format!(
            "Not compared, redacted on both sides (the values may differ): {}.",
            names.join(", ")
        ));
    }
}

fn signature(doc: &mut Doc, d: &SignatureDiff, limits: Option<Limits>) {
    let side = |sig: &Signature, who: &str| match sig {
        Signature::Missing => format!("no signature on the {who}"),
        Signature::Unreadable(why) => format!("the {who}'s signature cannot be read ({why})"),
        Signature::Present { .. } => {
            format!("the {who}'s has {}", sig.counts().unwrap_or_default())
        }
    };
    let (candidate, incumbent) = (&d.candidate, &d.incumbent);
    match (candidate, incumbent) {
        (Signature::Missing, Signature::Missing) => doc.paragraph("No signature on either side."),
        (Signature::Present { .. }, Signature::Present { .. }) if d.changes.is_empty() => {
            doc.paragraph(&format!(
                "Signatures identical ({}).",
                candidate.counts().unwrap_or_default()
            ));
        }
        (Signature::Present { .. }, Signature::Present { .. }) => {
            doc.paragraph(&format!(
                "The signatures differ: {}, {}.",
                side(candidate, "candidate"),
                side(incumbent, "incumbent")
            ));
            let rows = d
                .changes
                .iter()
                .map(|c| {
                    vec![
                        c.part.to_string(),
                        c.column.clone(),
                        c.kind.to_string(),
                        c.candidate.clone().unwrap_or_else(|| NONE.into()),
                        c.incumbent.clone().unwrap_or_else(|| NONE.into()),
                    ]
                })
                .collect();
            table(
                doc,
                &["Part", "Column", "Change", "Candidate", "Incumbent"],
                rows,
                limits,
            );
        }
        _ => {
            let text = format!(
                "{}; {}: not compared.",
                side(candidate, "candidate"),
                side(incumbent, "incumbent")
            );
            let mut chars = text.chars();
            let first = chars
                .next()
                .map(|c| c.to_uppercase().to_string())
                .unwrap_or_default();
            doc.paragraph(&escape_cell(&format!("{first}{}", chars.as_str())));
        }
    }
}

/// A table, clipped to the limits (cells to so many characters, rows to so many, with a line
/// saying how many were left out).
fn table(doc: &mut Doc, headers: &[&str], mut rows: Vec<Vec<String>>, limits: Option<Limits>) {
    let mut hidden = 0;
    if let Some(l) = limits {
        hidden = rows.len().saturating_sub(l.rows);
        rows.truncate(l.rows);
        for cell in rows.iter_mut().flatten() {
            *cell = clip(cell, limits);
        }
    }
    doc.table(headers, &rows);
    if hidden > 0 {
        doc.paragraph(&format!(
            "_… and {hidden} more row{}: see the full report._",
            if hidden == 1 { "" } else { "s" }
        ));
    }
}

/// Raw text cut to the limit's characters, `…` marking the cut (before escaping, so an
/// escape is never cut in half).
fn clip(text: &str, limits: Option<Limits>) -> String {
    match limits {
        Some(l) if text.chars().count() > l.cell_chars => {
            let mut cut: String = text.chars().take(l.cell_chars.saturating_sub(1)).collect();
            cut.push('…');
            cut
        }
        _ => text.to_string(),
    }
}

//! The lines mlgate says on standard error about a run, beside the reports themselves: what
//! `snapshot` and `report` saved, that calls failed while gathering, the waivers that expired
//! or matched nothing, outputs that have no file to point at. Worded here, with the other
//! terminal text, so commands only decide *when* to say them. Server words in them go through
//! [`sanitize::terminal`]: shown, never obeyed by the terminal.

use std::fmt::Write as _;
use std::path::Path;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource,
    Severity as Level,
};

use super::sanitize;
use crate::engine::{Waiver, WaiverNote};
use crate::error_code::Code;
use crate::policy::PolicyText;
use crate::snapshot::Snapshot;

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `mlgate: wrote models:/churn/3 (7 sections, 0 errors) to out.json`: what `snapshot` and
/// `report` saved, on standard error (standard output stays free for pipes). Without it a
/// successful run printed nothing at all.
pub fn wrote(what: &str, snapshot: &Snapshot, path: &Path) -> String {
    let sections = snapshot.gathered_sections();
    let errors = snapshot.errors.len();
    format!(
        "mlgate: wrote {what}{} ({sections} section{}, {errors} error{}) to {}\n",
        sanitize::terminal(&snapshot.model_uri()),
        plural(sections),
        plural(errors),
        sanitize::terminal(&path.display().to_string())
    )
}

/// A snapshot that gathered nothing, saved beside the file it would have replaced.
pub fn kept(existing: &Path, partial: &Path) -> String {
    format!(
        "mlgate: nothing could be gathered, so {} was kept as it was; what was read is in {}\n",
        sanitize::terminal(&existing.display().to_string()),
        sanitize::terminal(&partial.display().to_string())
    )
}

/// `snapshot` and `report` end on exit 3 when `failed` calls failed; the file holds them.
pub fn calls_failed(failed: usize) -> String {
    format!(
        "mlgate: {failed} call{} failed while gathering; they are listed in the output (exit 3)\n",
        plural(failed)
    )
}

/// A bulk run stopped by a signal (Ctrl-C, SIGTERM, SIGHUP): what was finished is still
/// written.
pub fn interrupted(by: &str) -> String {
    format!("mlgate: interrupted ({by}); the outputs hold the versions finished so far\n")
}

/// A bulk run whose selection held no version; `sharded` when it was one shard of a run.
pub fn nothing_selected(selection: &str, sharded: bool) -> String {
    format!(
        "mlgate: no model version selected ({selection}); nothing was checked{}\n",
        if sharded {
            ""
        } else {
            "\n  help: the filter is the server's own `registered-models/search` syntax, e.g. \"name LIKE 'fraud%'\" (% is the wildcard, names are case-sensitive); without --filter every registered model is listed"
        }
    )
}

/// Results of bundled rules with no file in the repository to point at, in a SARIF file.
pub fn sarif_unplaced(unplaced: usize) -> String {
    format!(
        "mlgate: warning: {unplaced} SARIF result(s) have no file in this repository to point at (bundled rules); GitHub code scanning rejects such a file: add an mlgate.toml or pass --sarif-anchor FILE\n"
    )
}

/// The same for a Code Quality report, which GitLab takes but shows without a link.
pub fn codequality_unplaced(unplaced: usize) -> String {
    format!(
        "mlgate: warning: {unplaced} Code Quality issue(s) have no file in this repository to point at (bundled rules); GitLab lists them without a link: add an mlgate.toml or pass --sarif-anchor FILE\n"
    )
}

/// Expired and unmatched waivers as warnings pointing at the waiver in its file; `color` for a
/// terminal that shows colours.
pub fn waiver_warnings(
    notes: &[WaiverNote],
    waivers: &[Waiver],
    texts: &[PolicyText],
    color: bool,
) -> String {
    let handler = GraphicalReportHandler::new_themed(if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    })
    .with_width(100);
    let mut out = String::new();
    for note in notes {
        let w = &waivers[note.index];
        let text = texts
            .iter()
            .find(|t| t.name == w.source)
            .map_or("", |t| t.text.as_str());
        // Long lines clipped, so a waiver far along one cannot crash the renderer.
        let (source, labels) = crate::policy::excerpt::for_display(
            text,
            &[(
                w.span.start..w.span.start + 1,
                (if note.expired {
                    "expired waiver"
                } else {
                    "this waiver"
                })
                .to_string(),
            )],
        );
        // The note quotes the waiver's fields: shown, never obeyed by the terminal.
        let diagnostic = MietteDiagnostic::new(sanitize::terminal(&note.message))
            .with_severity(Level::Warning)
            .with_code(if note.expired { Code::WaiverExpired } else { Code::WaiverUnmatched }.as_str())
            .with_labels(labels.into_iter().map(|(span, label)| LabeledSpan::at(span, label)))
            .with_help(if note.expired {
                "renew it with a new `expires` (and a fresh reason), or fix the finding and delete the waiver"
            } else {
                "delete the waiver if its rule now passes, or fix its `rule` / `model` / `versions`"
            });
        let report =
            miette::Report::new(diagnostic).with_source_code(NamedSource::new(&w.source, source));
        // A warning that cannot be drawn is still given, as plain text.
        if handler.render_report(&mut out, report.as_ref()).is_err() {
            let _ = writeln!(out, "warning: {}", note.message);
        }
    }
    out
}

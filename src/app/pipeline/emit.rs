//! Writing one judged version to every output the command line asked for, from the redacted
//! copy ([`Shown`]): the Markdown report, JUnit, JSON, SARIF, Code Quality, GitHub Actions
//! annotations, summary and outputs, and the terminal summary.

use std::path::Path;

use super::super::files::{append, write};
use super::super::{console, stdio, AppError};
use super::judge::{Judged, Shown};
use super::prepare::Prepared;
use crate::cli::OutputArgs;
use crate::report::{self, notice};
use crate::snapshot::Snapshot;

/// Writes every requested output of one version.
pub(crate) fn emit(
    output: &OutputArgs,
    redact: bool,
    snapshot: &Snapshot,
    prepared: &Prepared,
    judged: &Judged,
) -> Result<(), AppError> {
    let policy = &prepared.policy;
    let site = &prepared.site;
    let shown = Shown::new(snapshot, judged, redact);
    let e = shown.evaluation(judged, policy);
    if let Some(path) = &output.report {
        write(path, &report::markdown::render(&shown.snapshot, Some(&e)))?;
    }
    if let Some(path) = &output.junit {
        let xml = report::junit::render(&e).map_err(|source| AppError::Junit {
            path: path.clone(),
            source,
        })?;
        write(path, &xml)?;
    }
    if let Some(path) = &output.json {
        write(path, &report::json::render(&e))?;
    }
    if let Some(path) = &output.sarif {
        write(path, &report::sarif::render(&e, &policy.rules, site))?;
        let unplaced = report::sarif::unplaced(&e, site);
        if unplaced > 0 {
            stdio::err(&notice::sarif_unplaced(unplaced));
        }
    }
    if let Some(path) = &output.codequality {
        write(path, &report::codequality::render(&e, site))?;
        let unplaced = report::sarif::unplaced(&e, site);
        if unplaced > 0 {
            stdio::err(&notice::codequality_unplaced(unplaced));
        }
    }
    if output.github {
        stdio::out(&report::github::annotations(&e, site))?;
        for (var, text) in [
            ("GITHUB_STEP_SUMMARY", report::github::summary(&e)),
            ("GITHUB_OUTPUT", report::github::outputs(&e)),
        ] {
            if let Some(path) = std::env::var_os(var).filter(|p| !p.is_empty()) {
                append(Path::new(&path), &text)?;
            }
        }
    }
    if !output.quiet {
        stdio::out(&report::terminal::render(&e, console::use_color()))?;
    }
    Ok(())
}

//! Where each checked version goes as soon as it is judged: to every output of the run (the
//! pipeline's [`Outputs`], the same reporters a single `check` writes with), its snapshot and
//! Markdown report written when asked, and a small [`VersionResult`] kept for the summary. The snapshot is dropped by the caller
//! right after, so memory stays flat however many versions a run checks.

use std::collections::HashMap;
use std::path::PathBuf;

use super::super::error::AppError;
use super::super::files::write;
use super::super::pipeline::emit::Outputs;
use super::super::pipeline::judge::{Judged, Shown};
use super::super::pipeline::prepare::Prepared;
use super::names::file_for;
use crate::cli::{BulkArgs, OutputArgs};
use crate::engine::WaiverNote;
use crate::report;
use crate::report::reporter::Shape;
use crate::report::summary::{Files, Summary, VersionResult};
use crate::snapshot::io as snapshot_io;
use crate::snapshot::Snapshot;

/// The outputs of one bulk run.
pub(super) struct Sink<'a> {
    prepared: &'a Prepared,
    redact: bool,
    outputs: Outputs<'a>,
    snapshot_dir: Option<PathBuf>,
    report_dir: Option<PathBuf>,
    pub summary: Summary,
    /// Per waiver (by index): whether it expired, how many versions it matched nothing in,
    /// and its note.
    waivers: HashMap<usize, (usize, WaiverNote)>,
}

impl<'a> Sink<'a> {
    pub(super) fn open(
        output: &OutputArgs,
        bulk: &BulkArgs,
        prepared: &'a Prepared,
        redact: bool,
    ) -> Result<Self, AppError> {
        for dir in [&bulk.snapshot_dir, &bulk.report_dir].into_iter().flatten() {
            std::fs::create_dir_all(dir).map_err(|source| AppError::Output {
                path: dir.clone(),
                source,
            })?;
        }
        Ok(Self {
            prepared,
            redact,
            outputs: Outputs::open(output, prepared, Shape::Many)?,
            snapshot_dir: bulk.snapshot_dir.clone(),
            report_dir: bulk.report_dir.clone(),
            summary: Summary::default(),
            waivers: HashMap::new(),
        })
    }

    /// Writes one judged version everywhere it goes and keeps its summary line.
    pub(super) fn record(
        &mut self,
        model: &str,
        version: &str,
        snapshot: &Snapshot,
        judged: &Judged,
        not_gathered: Option<String>,
    ) -> Result<(), AppError> {
        let shown = Shown::new(snapshot, self.redact);
        let e = shown.evaluation(judged, &self.prepared.policy);
        self.outputs.version(&e)?;
        let mut files = Files::default();
        if let Some(dir) = &self.report_dir {
            let path = file_for(dir, model, version, "md")?;
            write(&path, &report::markdown::render(&shown.snapshot, Some(&e)))?;
            files.report = Some(path.to_string_lossy().into_owned());
        }
        if let Some(dir) = &self.snapshot_dir {
            let path = file_for(dir, model, version, "snapshot.json")?;
            snapshot_io::save(&shown.snapshot, &path)?;
            files.snapshot = Some(path.to_string_lossy().into_owned());
        }
        for note in &judged.evaluation.waiver_notes {
            self.waivers
                .entry(note.index)
                .or_insert_with(|| (0, note.clone()))
                .0 += 1;
        }
        self.summary.count(&judged.evaluation.findings);
        let mut result = VersionResult::new(
            model,
            version,
            &judged.evaluation.findings,
            &judged.verdict,
            not_gathered,
        );
        result.files = files;
        self.summary.versions.push(result);
        Ok(())
    }

    /// The waiver notes that hold for the whole run: expired waivers, and waivers that
    /// matched nothing in any version checked.
    pub(super) fn waiver_notes(&self) -> Vec<WaiverNote> {
        let checked = self.summary.versions.len();
        let mut notes: Vec<WaiverNote> = self
            .waivers
            .values()
            .filter(|(n, note)| note.expired || *n == checked)
            .map(|(_, note)| note.clone())
            .collect();
        notes.sort_by_key(|n| n.index);
        notes
    }

    /// Closes every output as a valid document (even after Ctrl-C or an error) with the
    /// run's summary, and hands the summary back.
    pub(super) fn finish(mut self) -> Result<Summary, AppError> {
        self.summary.sort();
        self.outputs.finish(&self.summary)?;
        Ok(self.summary)
    }
}

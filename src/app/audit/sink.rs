//! Where each checked version goes as soon as it is judged: its JSON result and JUnit
//! testsuite appended to the open files, its snapshot and Markdown report written when asked,
//! and a small [`VersionResult`] kept for the summary. The snapshot is dropped by the caller
//! right after, so memory stays flat however many versions a run checks.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::super::files::write;
use super::super::pipeline::judge::{Judged, Shown};
use super::super::AppError;
use crate::cli::{BulkArgs, OutputArgs};
use crate::engine::{Status, WaiverNote};
use crate::policy::Policy;
use crate::report;
use crate::report::summary::{Summary, VersionResult};
use crate::snapshot::io as snapshot_io;
use crate::snapshot::Snapshot;

/// Characters kept as they are in a file name made from a model name or version.
const NAME_SAFE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');

/// A file written as the run goes.
struct Stream {
    path: PathBuf,
    file: BufWriter<File>,
}

impl Stream {
    fn create(path: &Path, head: &str) -> Result<Self, AppError> {
        let mut s = Self {
            path: path.to_path_buf(),
            file: BufWriter::new(File::create(path).map_err(|source| AppError::Output {
                path: path.to_path_buf(),
                source,
            })?),
        };
        s.put(head)?;
        Ok(s)
    }

    fn put(&mut self, text: &str) -> Result<(), AppError> {
        self.file
            .write_all(text.as_bytes())
            .map_err(|source| AppError::Output {
                path: self.path.clone(),
                source,
            })
    }

    fn close(mut self, tail: &str) -> Result<(), AppError> {
        self.put(tail)?;
        self.file.flush().map_err(|source| AppError::Output {
            path: self.path.clone(),
            source,
        })
    }
}

/// The outputs of one bulk run.
pub struct Sink<'a> {
    policy: &'a Policy,
    redact: bool,
    json: Option<Stream>,
    json_first: bool,
    junit: Option<Stream>,
    snapshot_dir: Option<PathBuf>,
    report_dir: Option<PathBuf>,
    pub summary: Summary,
    /// Per waiver (by index): whether it expired, how many versions it matched nothing in,
    /// and its note.
    waivers: HashMap<usize, (usize, WaiverNote)>,
}

impl<'a> Sink<'a> {
    pub fn open(
        output: &OutputArgs,
        bulk: &BulkArgs,
        policy: &'a Policy,
        redact: bool,
    ) -> Result<Self, AppError> {
        for dir in [&bulk.snapshot_dir, &bulk.report_dir].into_iter().flatten() {
            std::fs::create_dir_all(dir).map_err(|source| AppError::Output {
                path: dir.clone(),
                source,
            })?;
        }
        let json = match &output.json {
            Some(path) => Some(Stream::create(
                path,
                &format!(
                    "{{\n\"schema\": \"mlgate.bulk-results/v1\",\n\"mlgate_version\": \"{}\",\n\"results\": [\n",
                    env!("CARGO_PKG_VERSION")
                ),
            )?),
            None => None,
        };
        let junit = match &output.junit {
            Some(path) => Some(Stream::create(path, report::junit_many::HEAD)?),
            None => None,
        };
        Ok(Self {
            policy,
            redact,
            json,
            json_first: true,
            junit,
            snapshot_dir: bulk.snapshot_dir.clone(),
            report_dir: bulk.report_dir.clone(),
            summary: Summary::default(),
            waivers: HashMap::new(),
        })
    }

    /// Writes one judged version everywhere it goes and keeps its summary line.
    pub fn record(
        &mut self,
        model: &str,
        version: &str,
        snapshot: &Snapshot,
        judged: &Judged,
        not_gathered: Option<String>,
    ) -> Result<(), AppError> {
        let shown = Shown::new(snapshot, judged, self.redact);
        let e = shown.evaluation(judged, self.policy);
        if let Some(json) = &mut self.json {
            let doc = report::json::render(&e);
            let sep = if self.json_first { "" } else { ",\n" };
            json.put(&format!("{sep}{}", doc.trim_end()))?;
            self.json_first = false;
        }
        if let Some(junit) = &mut self.junit {
            let render_error = |source| AppError::Junit {
                path: junit.path.clone(),
                source,
            };
            let xml = report::junit::render(&e).map_err(render_error)?;
            let suites = report::junit_many::suites(&xml).map_err(|source| AppError::Junit {
                path: junit.path.clone(),
                source,
            })?;
            junit.put(&suites)?;
        }
        if let Some(dir) = &self.report_dir {
            let path = file_for(dir, model, version, "md")?;
            write(&path, &report::markdown::render(&shown.snapshot, Some(&e)))?;
        }
        if let Some(dir) = &self.snapshot_dir {
            let path = file_for(dir, model, version, "snapshot.json")?;
            snapshot_io::save(&shown.snapshot, &path)?;
        }
        for note in &judged.evaluation.waiver_notes {
            self.waivers
                .entry(note.index)
                .or_insert_with(|| (0, note.clone()))
                .0 += 1;
        }
        self.summary.count(&judged.evaluation.findings);
        self.summary.versions.push(VersionResult::new(
            model,
            version,
            &judged.evaluation.findings,
            &judged.verdict,
            not_gathered,
        ));
        Ok(())
    }

    /// The waiver notes that hold for the whole run: expired waivers, and waivers that
    /// matched nothing in any version checked.
    pub fn waiver_notes(&self) -> Vec<WaiverNote> {
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

    /// Closes the streamed files (valid documents even after Ctrl-C) and writes the summary.
    pub fn finish(mut self, report: Option<&Path>) -> Result<Summary, AppError> {
        self.summary.sort();
        let s = &self.summary;
        if let Some(json) = self.json.take() {
            let summary = serde_json::json!({
                "status": s.status(),
                "selected": s.selected,
                "checked": s.versions.len(),
                "models": s.models,
                "pass": s.tally(Status::Pass),
                "fail": s.tally(Status::Fail),
                "error": s.tally(Status::Error),
                "interrupted": s.interrupted,
            });
            json.close(&format!(
                "\n],\n\"summary\": {}\n}}\n",
                serde_json::to_string_pretty(&summary).unwrap_or_default()
            ))?;
        }
        if let Some(junit) = self.junit.take() {
            junit.close(report::junit_many::TAIL)?;
        }
        if let Some(path) = report {
            write(path, &report::summary::markdown(s))?;
        }
        Ok(self.summary)
    }
}

/// `DIR/<model>/<version>.<ext>`, names %-encoded so any model name is one safe directory.
fn file_for(dir: &Path, model: &str, version: &str, ext: &str) -> Result<PathBuf, AppError> {
    let folder = dir.join(safe(model));
    std::fs::create_dir_all(&folder).map_err(|source| AppError::Output {
        path: folder.clone(),
        source,
    })?;
    Ok(folder.join(format!("{}.{ext}", safe(version))))
}

/// A name as one path component: %-encoded, and never `.` or `..`.
fn safe(name: &str) -> String {
    let encoded = utf8_percent_encode(name, NAME_SAFE).to_string();
    if encoded.chars().all(|c| c == '.') {
        encoded.replace('.', "%2E")
    } else {
        encoded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_one_safe_path_component() {
        assert_eq!(safe("fraud-v2_x.y"), "fraud-v2_x.y");
        assert_eq!(safe("a/b c"), "a%2Fb%20c");
        assert_eq!(safe(".."), "%2E%2E");
        assert_eq!(safe(""), "");
    }
}

//! Writing judged versions to every output the command line asked for. Each output is a
//! reporter (`report::reporter`) and a destination — a file, standard output (`-`), or a file
//! GitHub Actions reads after the step — and every output gets the same calls: each version
//! as it is judged, then the end of the run. A single check is a run of one version, a bulk
//! run one of many; both come through here, so `--all-models` takes every flag `check` takes.
//!
//! What a reporter writes is flushed to its destination after each call, so a bulk run holds
//! no more than one version's text at a time.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::super::error::AppError;
use super::super::files::append;
use super::super::outputs::{claims_stdout, is_stdout};
use super::super::{console, stdio};
use super::judge::{Judged, Shown};
use super::prepare::Prepared;
use crate::cli::OutputArgs;
use crate::report::codequality::CodeQuality;
use crate::report::github::{Annotations, StepOutputs, StepSummary};
use crate::report::json::Json;
use crate::report::junit::Junit;
use crate::report::markdown::Markdown;
use crate::report::promotion::Promotion;
use crate::report::reporter::{Reporter, Shape};
use crate::report::sarif::Sarif;
use crate::report::summary::{Summary, VersionResult};
use crate::report::terminal::Terminal;
use crate::snapshot::Snapshot;

/// Where an output goes.
enum Dest {
    /// A file written as the run goes.
    File {
        path: PathBuf,
        file: BufWriter<File>,
    },
    Stdout,
    /// What would go to standard output when an output flag has it (`--json -`): the
    /// terminal summary and annotations then go to standard error, so what is read from
    /// standard output is that one document. (The GitHub runner reads workflow commands from
    /// both streams.)
    Stderr,
    /// A file GitHub hands every step: appended to, never replaced.
    Append(PathBuf),
}

impl Dest {
    /// The file `path`, or standard output for `-`.
    fn file(path: &Path) -> Result<Self, AppError> {
        if is_stdout(path) {
            return Ok(Self::Stdout);
        }
        let file = File::create(path).map_err(|source| AppError::Output {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Self::File {
            path: path.to_path_buf(),
            file: BufWriter::new(file),
        })
    }

    fn put(&mut self, text: &str) -> Result<(), AppError> {
        if text.is_empty() {
            return Ok(());
        }
        match self {
            Self::File { path, file } => {
                file.write_all(text.as_bytes())
                    .map_err(|source| AppError::Output {
                        path: path.clone(),
                        source,
                    })
            }
            Self::Stdout => stdio::out(text),
            Self::Stderr => {
                stdio::err(text);
                Ok(())
            }
            Self::Append(path) => append(path, text),
        }
    }

    fn close(self) -> Result<(), AppError> {
        match self {
            Self::File { path, mut file } => file
                .flush()
                .map_err(|source| AppError::Output { path, source }),
            Self::Stdout | Self::Stderr | Self::Append(_) => Ok(()),
        }
    }
}

/// One output: a format and where it goes.
struct Output<'a> {
    reporter: Box<dyn Reporter + 'a>,
    dest: Dest,
}

/// Every output of a run.
pub(crate) struct Outputs<'a> {
    outputs: Vec<Output<'a>>,
}

impl<'a> Outputs<'a> {
    /// Opens the outputs `output` names, in the order they are written: files, then the
    /// GitHub Actions outputs, then the terminal.
    pub(crate) fn open(
        output: &OutputArgs,
        prepared: &'a Prepared,
        shape: Shape,
    ) -> Result<Self, AppError> {
        let site = &prepared.site;
        // Standard output belongs to the output that asked for it with `-`.
        let console = || {
            if claims_stdout(output) {
                Dest::Stderr
            } else {
                Dest::Stdout
            }
        };
        let mut outputs = Vec::new();
        let mut add = |reporter: Box<dyn Reporter + 'a>, dest| {
            outputs.push(Output { reporter, dest });
        };
        if let Some(path) = &output.report {
            add(Box::new(Markdown::new(shape)), Dest::file(path)?);
        }
        if let Some(path) = &output.junit {
            add(Box::new(Junit::new(shape)), Dest::file(path)?);
        }
        if let Some(path) = &output.json {
            add(Box::new(Json::new(shape)), Dest::file(path)?);
        }
        if let Some(path) = &output.sarif {
            let sarif = Sarif::new(&prepared.policy.rules, site, shape);
            add(Box::new(sarif), Dest::file(path)?);
        }
        if let Some(path) = &output.codequality {
            add(Box::new(CodeQuality::new(site)), Dest::file(path)?);
        }
        if output.github {
            add(Box::new(Annotations::new(site, shape)), console());
            let github = |var| std::env::var_os(var).filter(|p| !p.is_empty());
            if let Some(path) = github("GITHUB_STEP_SUMMARY") {
                add(Box::new(StepSummary::new(shape)), Dest::Append(path.into()));
            }
            if let Some(path) = github("GITHUB_OUTPUT") {
                add(Box::new(StepOutputs::new(shape)), Dest::Append(path.into()));
            }
        }
        if !output.quiet {
            add(
                Box::new(Terminal::new(shape, console::use_color())),
                console(),
            );
        }
        Ok(Self { outputs })
    }

    /// One judged version, to every output.
    pub(crate) fn version(&mut self, e: &crate::report::Evaluation<'_>) -> Result<(), AppError> {
        for output in &mut self.outputs {
            let mut text = String::new();
            output.reporter.version(e, &mut text);
            output.dest.put(&text)?;
        }
        Ok(())
    }

    /// Ends every output (each is closed as a valid document, even after an error in another),
    /// then says the warnings the formats have for standard error.
    pub(crate) fn finish(self, summary: &Summary) -> Result<(), AppError> {
        let mut first_error = None;
        for Output {
            mut reporter,
            mut dest,
        } in self.outputs
        {
            let mut text = String::new();
            reporter.finish(summary, &mut text);
            let closed = dest.put(&text).and_then(|()| dest.close());
            if let Err(error) = closed {
                first_error.get_or_insert(error);
            }
            if let Some(warning) = reporter.warning() {
                stdio::err(&warning);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// Writes every requested output of one version: a run of one.
pub(crate) fn emit(
    output: &OutputArgs,
    redact: bool,
    snapshot: &Snapshot,
    prepared: &Prepared,
    judged: &Judged,
) -> Result<(), AppError> {
    let outputs = Outputs::open(output, prepared, Shape::One)?;
    emit_to(outputs, redact, snapshot, prepared, judged, None)
}

/// [`emit`] to outputs opened earlier (`promote` creates its files before it writes to the
/// registry, so a path that cannot be written stops it before anything moves), with what the
/// promotion did.
pub(crate) fn emit_to(
    mut outputs: Outputs<'_>,
    redact: bool,
    snapshot: &Snapshot,
    prepared: &Prepared,
    judged: &Judged,
    promotion: Option<&Promotion>,
) -> Result<(), AppError> {
    let shown = Shown::new(snapshot, redact);
    let mut e = shown.evaluation(judged, &prepared.policy);
    e.promotion = promotion;
    outputs.version(&e)?;
    let target = &shown.snapshot.target;
    let mut summary = Summary {
        selected: 1,
        models: 1,
        fail_on: Some(prepared.fail_on),
        ..Summary::default()
    };
    summary.count(&judged.evaluation.findings);
    summary.versions.push(VersionResult::new(
        target.name.as_deref().unwrap_or(&target.reference),
        target.version.as_deref().unwrap_or_default(),
        &judged.evaluation.findings,
        &judged.verdict,
        None,
    ));
    outputs.finish(&summary)
}

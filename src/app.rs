//! Orchestration of each subcommand: source → snapshot → engine → reporters → exit code.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::cli::{CheckArgs, Cli, Command, FailOn, OutputArgs};
use crate::engine::{self, Severity};
use crate::exit::Exit;
use crate::policy::{self, PolicyLoadError};
use crate::report::{self, Evaluation};
use crate::snapshot::io::{self as snapshot_io, SnapshotIoError};
use crate::snapshot::Snapshot;

/// The bundled example snapshot (`examples/dolly3b.snapshot.json`).
pub const EXAMPLE_SNAPSHOT: &str = include_str!("../examples/dolly3b.snapshot.json");

/// Why a run stopped before a verdict.
#[derive(Debug, Error)]
pub enum AppError {
    #[error(transparent)]
    Policy(#[from] PolicyLoadError),
    #[error(transparent)]
    Snapshot(#[from] SnapshotIoError),
    #[error("cannot write {path}: {source}")]
    Output {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl AppError {
    /// The exit code for this error (see `exit.rs`).
    pub fn exit(&self) -> Exit {
        match self {
            AppError::Policy(_) | AppError::Output { .. } => Exit::Usage,
            AppError::Snapshot(_) => Exit::Gather,
        }
    }
}

/// Runs the parsed command line; the returned value is the process exit code.
pub fn run(cli: Cli) -> Result<Exit, AppError> {
    match cli.command {
        Command::Check(args) => check(&args),
    }
}

fn check(args: &CheckArgs) -> Result<Exit, AppError> {
    // Policies first: a broken policy is a usage error whatever the model.
    let policy = load_policy(&args.output)?;
    let snapshot = match &args.snapshot {
        Some(path) => snapshot_io::load(path)?,
        None => snapshot_io::parse(
            EXAMPLE_SNAPSHOT,
            Path::new("examples/dolly3b.snapshot.json"),
        )?,
    };
    evaluate_and_report(&snapshot, &policy, &args.output)
}

fn load_policy(output: &OutputArgs) -> Result<policy::Policy, AppError> {
    let texts = if output.policy.is_empty() {
        vec![policy::baseline()]
    } else {
        policy::read_paths(&output.policy)?
    };
    Ok(policy::load(&texts).map_err(PolicyLoadError::from)?)
}

fn evaluate_and_report(
    snapshot: &Snapshot,
    policy: &policy::Policy,
    output: &OutputArgs,
) -> Result<Exit, AppError> {
    let fail_on = match output.fail_on {
        FailOn::Error => Severity::Error,
        FailOn::Warning => Severity::Warning,
        FailOn::Info => Severity::Info,
    };
    let findings = engine::evaluate(snapshot, &policy.rules);
    let verdict = engine::verdict(&findings, fail_on);
    let evaluation = Evaluation {
        snapshot,
        findings: &findings,
        verdict: &verdict,
        policy_files: &policy.files,
        policy_digest: &policy.digest,
    };
    if let Some(path) = &output.report {
        write(path, &report::markdown::render(snapshot, Some(&evaluation)))?;
    }
    if let Some(path) = &output.junit {
        write(path, &report::junit::render(&evaluation))?;
    }
    if let Some(path) = &output.json {
        write(path, &report::json::render(&evaluation))?;
    }
    if !output.quiet {
        print!("{}", report::terminal::render(&evaluation, use_color()));
    }
    Ok(if verdict.passed {
        Exit::Pass
    } else {
        Exit::PolicyFailed
    })
}

fn write(path: &Path, text: &str) -> Result<(), AppError> {
    std::fs::write(path, text).map_err(|source| AppError::Output {
        path: path.to_path_buf(),
        source,
    })
}

/// Colour on a terminal, unless `NO_COLOR` is set (https://no-color.org).
pub fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

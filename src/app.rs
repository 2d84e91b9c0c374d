//! Orchestration of each subcommand: source → snapshot → engine → reporters → exit code.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::cli::{CheckArgs, Cli, Command, FailOn, OutputArgs, ServerArgs};
use crate::engine::{self, Severity};
use crate::exit::Exit;
use crate::mlflow::{ClientError, Config, Http};
use crate::model_ref::{ModelRef, ModelRefError};
use crate::policy::{self, PolicyLoadError};
use crate::report::{self, Evaluation};
use crate::snapshot::gather::{self, GatherFailure};
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
    #[error(transparent)]
    Reference(#[from] ModelRefError),
    #[error("no tracking server: pass --tracking-uri or set MLFLOW_TRACKING_URI")]
    NoTrackingUri,
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Gather(#[from] Box<GatherFailure>),
    #[error("cannot write {path}: {source}")]
    Output {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl AppError {
    /// What the user can do about it, when there is something to say.
    pub fn help(&self) -> Option<String> {
        let client = match self {
            AppError::Client(e) => e,
            AppError::Gather(g) => &g.error,
            AppError::NoTrackingUri => {
                return Some("e.g. --tracking-uri http://127.0.0.1:5000".into())
            }
            _ => return None,
        };
        let text = match (client, client.status()) {
            (ClientError::Connect { .. }, _) => "is the server running and reachable? check --tracking-uri / MLFLOW_TRACKING_URI",
            (ClientError::Timeout { .. }, _) => "the server is slow or unreachable; raise MLFLOW_HTTP_REQUEST_TIMEOUT if it is just slow",
            (_, Some(401)) => "the server requires credentials: set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, or MLFLOW_TRACKING_TOKEN",
            (_, Some(403)) => "these credentials may not read this model; ask its owner for READ on the registered model and its experiment",
            (_, Some(404)) => "check the model name, version or stage (names are case-sensitive)",
            (_, Some(400)) if client.message().contains("alias") => "check the alias: the registered model's aliases are listed in the MLflow UI",
            (ClientError::Decode { .. }, _) => "the response was cut short or is not from an MLflow server; check --tracking-uri and any proxy in between",
            _ => return None,
        };
        Some(text.to_string())
    }

    /// The exit code for this error (see `exit.rs`).
    pub fn exit(&self) -> Exit {
        match self {
            AppError::Policy(_)
            | AppError::Output { .. }
            | AppError::Reference(_)
            | AppError::NoTrackingUri => Exit::Usage,
            AppError::Snapshot(_) | AppError::Client(_) | AppError::Gather(_) => Exit::Gather,
        }
    }
}

/// Runs the parsed command line; the returned value is the process exit code.
pub fn run(cli: Cli) -> Result<Exit, AppError> {
    match cli.command {
        Command::Check(args) => check(&args),
        Command::Snapshot(args) => {
            let snapshot = gather_live(&args.model, &args.server)?;
            snapshot_io::save(&snapshot, &args.output)?;
            Ok(Exit::Pass)
        }
        Command::Report(args) => {
            let snapshot = gather_live(&args.model, &args.server)?;
            write(&args.output, &report::markdown::render(&snapshot, None))?;
            Ok(Exit::Pass)
        }
    }
}

/// Gathers a snapshot from the tracking server (one process, concurrent requests).
fn gather_live(model: &str, server: &ServerArgs) -> Result<Snapshot, AppError> {
    let reference = ModelRef::parse(model)?;
    let config = Config::from_env(server.tracking_uri.clone()).ok_or(AppError::NoTrackingUri)?;
    let http = Http::new(config)?;
    let now = crate::timefmt::rfc3339(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0)),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ClientError::Connect {
            url: http.tracking_uri().to_string(),
            message: format!("cannot start the I/O runtime: {e}"),
        })?;
    runtime
        .block_on(gather::gather(&http, &reference, now))
        .map_err(|e| AppError::Gather(Box::new(e)))
}

fn check(args: &CheckArgs) -> Result<Exit, AppError> {
    // Policies first: a broken policy is a usage error whatever the model.
    let policy = load_policy(&args.output)?;
    let snapshot = match (&args.model, &args.snapshot) {
        (Some(model), _) => gather_live(model, &args.server)?,
        (None, Some(path)) => snapshot_io::load(path)?,
        (None, None) => snapshot_io::parse(
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

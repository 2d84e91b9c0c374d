//! Orchestration of each subcommand: source → snapshot → engine → reporters → exit code.

mod audit;
mod check;
mod config;
mod console;
mod files;
mod inspect;
mod outputs;
mod pipeline;
mod promote;
mod sarif_site;
mod save;
mod server;
pub mod stdio;
mod target;
mod testing;

use std::path::PathBuf;

pub use console::{render_error, use_color};
pub use pipeline::prepare::{today, EXAMPLE_SNAPSHOT};
// Parser entry points, pub for the fuzz targets.
pub use config::parse as parse_config;
pub use testing::parse_file as parse_test_file;

use thiserror::Error;

use crate::cli::{Cli, Command};
use crate::client::{ClientError, ConnectKind};
use crate::exit::Exit;
use crate::gather::GatherFailure;
use crate::model_ref::ModelRefError;
use crate::policy::PolicyLoadError;
use crate::snapshot::io::SnapshotIoError;

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
    /// A usage problem the message explains (bad flag value, config, unknown rule id).
    #[error("{0}")]
    Usage(String),
    /// An input named on the command line or in a test file that cannot be read: an
    /// unreadable file must never be taken for an empty one.
    #[error("cannot read {what} {path}: {source}")]
    Read {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot render the JUnit report {path}: {source}")]
    Junit {
        path: PathBuf,
        source: crate::report::junit_ext::JunitError,
    },
    #[error("cannot write {path}: {source}")]
    Output {
        path: PathBuf,
        source: std::io::Error,
    },
    /// `promote`: the target changed under mlgate, or the request is gone; nothing moved.
    #[error("{0}")]
    Conflict(String),
    /// `promote`: a registry write failed or cannot be made; what moved is said.
    #[error("{0}")]
    Write(String),
    /// `promote`: moved, but the verdict could not be recorded.
    #[error("{0}")]
    RecordFailed(String),
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
            (ClientError::Connect { kind: ConnectKind::Tls, .. }, _) => "the server's certificate is not trusted: give its certificate (or its CA) in MLFLOW_TRACKING_SERVER_CERT_PATH",
            (ClientError::Connect { kind: ConnectKind::Dns, .. }, _) => "check the host name in --tracking-uri / MLFLOW_TRACKING_URI",
            (ClientError::Connect { .. }, _) => "is the server running and reachable? check --tracking-uri / MLFLOW_TRACKING_URI",
            (ClientError::Timeout { .. }, _) => "the server is slow or unreachable; raise MLFLOW_HTTP_REQUEST_TIMEOUT if it is just slow",
            (ClientError::Deadline { .. }, _) => "the server is too slow for the gather budget; raise MLGATE_GATHER_TIMEOUT (seconds) if that is expected",
            (ClientError::RateLimited { .. }, _) => "the server is rate limiting this client: run the gate later, or raise MLGATE_GATHER_TIMEOUT to wait it out",
            (ClientError::TooLarge { .. }, _) => "an answer this large is not from a tracking server as expected; raise MLGATE_MAX_RESPONSE_BYTES if it is genuine",
            (ClientError::Reset { .. } | ClientError::Truncated { .. }, _) => "the connection broke mid-answer: a proxy or load balancer in between may be cutting it",
            (ClientError::NotJson { .. }, _) => "the answer is a web page, not the MLflow API: a login proxy or a wrong --tracking-uri",
            (_, Some(401)) => "the server requires credentials: set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, or MLFLOW_TRACKING_TOKEN",
            (_, Some(403)) => "these credentials may not read this model; ask its owner for READ on the registered model and its experiment",
            (_, Some(404)) => "check the model name, version or stage (names are case-sensitive)",
            (_, Some(400)) if client.message().contains("alias") => "check the alias: the registered model's aliases are listed in the MLflow UI",
            (ClientError::Decode { .. } | ClientError::Shape { .. }, _) => "the answer is not what an MLflow server sends; check --tracking-uri and any proxy in between",
            _ => return None,
        };
        Some(text.to_string())
    }

    /// The exit code for this error (see `exit.rs`).
    pub fn exit(&self) -> Exit {
        match self {
            AppError::Policy(_)
            | AppError::Output { .. }
            | AppError::Read { .. }
            | AppError::Junit { .. }
            | AppError::Reference(_)
            | AppError::NoTrackingUri
            | AppError::Usage(_) => Exit::Usage,
            AppError::Snapshot(_)
            | AppError::Client(_)
            | AppError::Gather(_)
            | AppError::Write(_) => Exit::Gather,
            AppError::Conflict(_) => Exit::Conflict,
            AppError::RecordFailed(_) => Exit::RecordFailed,
        }
    }
}

/// Runs the parsed command line; the returned value is the process exit code.
pub fn run(cli: Cli) -> Result<Exit, AppError> {
    match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Promote(args) => promote::run(&args),
        Command::Test(args) => testing::run(&args),
        Command::Lint(args) => inspect::lint(&args),
        Command::Rules(args) => inspect::rules(&args),
        Command::Explain(args) => inspect::explain(&args),
        Command::Completions(args) => {
            let mut text = Vec::new();
            clap_complete::generate(
                args.shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "mlgate",
                &mut text,
            );
            stdio::out(&String::from_utf8_lossy(&text))?;
            Ok(Exit::Pass)
        }
        Command::Man => {
            let mut text = Vec::new();
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command())
                .render(&mut text)
                .map_err(|source| AppError::Output {
                    path: "standard output".into(),
                    source,
                })?;
            stdio::out(&String::from_utf8_lossy(&text))?;
            Ok(Exit::Pass)
        }
        Command::Snapshot(args) => save::snapshot(&args),
        Command::Report(args) => save::report(&args),
    }
}

//! Orchestration of each subcommand: source → snapshot → engine → reporters → exit code.

mod audit;
mod check;
mod config;
mod inspect;
mod outputs;
mod promote;
mod sarif_site;
mod server;
pub mod stdio;
mod target;
mod testing;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

pub use check::today;
// Parser entry points, pub for the fuzz targets.
pub use config::parse as parse_config;
pub use testing::parse_file as parse_test_file;

use thiserror::Error;

use crate::cli::{Cli, Command, ServerArgs};
use crate::client::{Client, ClientError, ConnectKind};
use crate::exit::Exit;
use crate::gather::{self, Context, GatherFailure, Goal};
use crate::model_ref::{ModelRef, ModelRefError};
use crate::policy::PolicyLoadError;
use crate::report;
use crate::snapshot::io::{self as snapshot_io, SnapshotIoError};
use crate::snapshot::{Backend, Snapshot};

/// The bundled example snapshot (`examples/dolly3b.snapshot.json`).
pub const EXAMPLE_SNAPSHOT: &str = include_str!("../../examples/dolly3b.snapshot.json");

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
        // A fact of the registry (a model without versions) has no client error, but the
        // status and words the registry gives it.
        let (client, status, message) = match self {
            AppError::Client(e) => (Some(e), e.status(), e.message()),
            AppError::Gather(g) => (g.error.client(), g.error.status(), g.error.message()),
            AppError::NoTrackingUri => {
                return Some("e.g. --tracking-uri http://127.0.0.1:5000".into())
            }
            _ => return None,
        };
        let text = match (client, status) {
            (Some(ClientError::Connect { kind: ConnectKind::Tls, .. }), _) => "the server's certificate is not trusted: give its certificate (or its CA) in MLFLOW_TRACKING_SERVER_CERT_PATH",
            (Some(ClientError::Connect { kind: ConnectKind::Dns, .. }), _) => "check the host name in --tracking-uri / MLFLOW_TRACKING_URI",
            (Some(ClientError::Connect { .. }), _) => "is the server running and reachable? check --tracking-uri / MLFLOW_TRACKING_URI",
            (Some(ClientError::Timeout { .. }), _) => "the server is slow or unreachable; raise MLFLOW_HTTP_REQUEST_TIMEOUT if it is just slow",
            (Some(ClientError::Deadline { .. }), _) => "the server is too slow for the gather budget; raise MLGATE_GATHER_TIMEOUT (seconds) if that is expected",
            (Some(ClientError::RateLimited { .. }), _) => "the server is rate limiting this client: run the gate later, or raise MLGATE_GATHER_TIMEOUT to wait it out",
            (Some(ClientError::TooLarge { .. }), _) => "an answer this large is not from a tracking server as expected; raise MLGATE_MAX_RESPONSE_BYTES if it is genuine",
            (Some(ClientError::Reset { .. } | ClientError::Truncated { .. }), _) => "the connection broke mid-answer: a proxy or load balancer in between may be cutting it",
            (Some(ClientError::NotJson { .. }), _) => "the answer is a web page, not the MLflow API: a login proxy or a wrong --tracking-uri",
            (_, Some(401)) => "the server requires credentials: set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, or MLFLOW_TRACKING_TOKEN",
            (_, Some(403)) => "these credentials may not read this model; ask its owner for READ on the registered model and its experiment",
            (_, Some(404)) => "check the model name, version or stage (names are case-sensitive)",
            (_, Some(400)) if message.contains("alias") => "check the alias: the registered model's aliases are listed in the MLflow UI",
            (Some(ClientError::Decode { .. } | ClientError::Shape { .. }) | None, None) => "the answer is not what an MLflow server sends; check --tracking-uri and any proxy in between",
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
        Command::Snapshot(args) => {
            let eval = crate::cli::EvalArgs {
                target_stage: args.target_stage.clone(),
                target_alias: args.target_alias.clone(),
                now: None,
            };
            let target = target::validate(&eval, &[])?;
            let (mut snapshot, fatal) =
                gather_or_say_why(&args.model, &args.server, target.goal().as_ref())?;
            target.apply(&mut snapshot);
            let (snapshot, _) = crate::redact::snapshot(&snapshot, !args.server.no_redact);
            snapshot_io::save(&snapshot, &args.output)?;
            if !args.quiet {
                stdio::err(&wrote("", &snapshot, &args.output));
            }
            done_gathering(&snapshot, fatal)
        }
        Command::Report(args) => {
            let (snapshot, fatal) = gather_or_say_why(&args.model, &args.server, None)?;
            let (snapshot, _) = crate::redact::snapshot(&snapshot, !args.server.no_redact);
            write(&args.output, &report::markdown::render(&snapshot, None))?;
            if !args.quiet {
                stdio::err(&wrote("the report of ", &snapshot, &args.output));
            }
            done_gathering(&snapshot, fatal)
        }
    }
}

/// A live gather, or — when nothing could be gathered — the snapshot that says why, with the
/// error to end on: every output is still written on exit 3 (the CI test view shows the
/// reason). Usage errors come back as errors at once.
pub(crate) fn gather_or_say_why(
    model: &str,
    server: &ServerArgs,
    goal: Option<&Goal>,
) -> Result<(Snapshot, Option<AppError>), AppError> {
    match gather_live(model, server, goal) {
        Ok(snapshot) => Ok((snapshot, None)),
        Err(error) => match not_gathered(model, server, &error) {
            Some(snapshot) => Ok((snapshot, Some(error))),
            None => Err(error),
        },
    }
}

/// `mlgate: wrote models:/churn/3 (7 sections, 0 errors) to out.json`: what `snapshot` and
/// `report` saved, on standard error (standard output stays free for pipes). Without it a
/// successful run printed nothing at all.
fn wrote(what: &str, snapshot: &Snapshot, path: &Path) -> String {
    let sections = snapshot.gathered_sections();
    let errors = snapshot.errors.len();
    format!(
        "mlgate: wrote {what}{} ({sections} section{}, {errors} error{}) to {}\n",
        report::sanitize::terminal(&snapshot.model_uri()),
        if sections == 1 { "" } else { "s" },
        if errors == 1 { "" } else { "s" },
        report::sanitize::terminal(&path.display().to_string())
    )
}

/// `snapshot` and `report`: exit 3 when a call failed (the file is written all the same).
fn done_gathering(snapshot: &Snapshot, fatal: Option<AppError>) -> Result<Exit, AppError> {
    if let Some(error) = fatal {
        return Err(error);
    }
    if !snapshot.errors.is_empty() {
        stdio::err(&format!(
            "mlgate: {} call{} failed while gathering; they are listed in the output (exit 3)\n",
            snapshot.errors.len(),
            if snapshot.errors.len() == 1 { "" } else { "s" }
        ));
        return Ok(Exit::Gather);
    }
    Ok(Exit::Pass)
}

/// The snapshot of a reference nothing could be gathered for, when `error` is such a failure.
pub(crate) fn not_gathered(model: &str, server: &ServerArgs, error: &AppError) -> Option<Snapshot> {
    let (entry, backend) = match error {
        AppError::Gather(g) => (g.entry(), Some(g.backend)),
        AppError::Client(e) => (gather::failure_entry(e), None),
        _ => return None,
    };
    let reference = ModelRef::parse(model).ok()?;
    let tracking =
        server::tracking_uri(server, &server::process_env).map(|u| crate::url::shown(&u));
    Some(Snapshot::not_gathered(
        gather::target_of(&reference),
        tracking,
        backend,
        now_rfc3339(),
        entry,
    ))
}

pub(crate) fn now_rfc3339() -> String {
    crate::timefmt::rfc3339(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0)),
    )
}

/// A live session: the client context, the backend of the reference and the I/O runtime,
/// kept for every call a command makes (a promotion reads, writes and reads again).
pub(crate) struct Live {
    pub cx: Context,
    pub backend: Backend,
    pub reference: ModelRef,
    runtime: tokio::runtime::Runtime,
}

impl Live {
    pub fn open(model: &str, server: &ServerArgs) -> Result<Self, AppError> {
        let reference = ModelRef::parse(model)?;
        let (config, backend) = server::connect(server, &reference, &server::process_env)?;
        // The client never writes to the terminal; weakened TLS is said here, once per run.
        for warning in config.tls_warnings() {
            stdio::err(&format!("warning: {warning}\n"));
        }
        let cx = Context::new(Client::new(config)?);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ClientError::Connect {
                url: cx.client().url(""),
                kind: ConnectKind::Other,
                message: format!("cannot start the I/O runtime: {e}"),
                attempts: 0,
            })?;
        Ok(Self {
            cx,
            backend,
            reference,
            runtime,
        })
    }

    /// A failed read as the failure to gather the reference.
    pub fn failure(&self, error: ClientError) -> GatherFailure {
        GatherFailure {
            reference: self.reference.to_string(),
            server: gather::server_label(self.cx.client()),
            backend: self.backend,
            error: error.into(),
        }
    }

    /// Runs one step of the command's I/O to completion.
    pub fn block_on<F: std::future::Future>(&self, step: F) -> F::Output {
        self.runtime.block_on(step)
    }
}

/// Gathers a snapshot from the tracking server (one process, concurrent requests); with a
/// promotion goal, the version holding it is gathered too, as the snapshot's incumbent.
pub(crate) fn gather_live(
    model: &str,
    server: &ServerArgs,
    goal: Option<&Goal>,
) -> Result<Snapshot, AppError> {
    let live = Live::open(model, server)?;
    let now = now_rfc3339();
    // `runs:/` and logged models hold no alias or stage: nothing to compare with.
    let goal = goal.filter(|_| live.reference.name().is_some());
    let gathered = match goal {
        None => live.block_on(gather::gather(&live.cx, live.backend, &live.reference, now)),
        Some(goal) => live.block_on(async {
            let name = live.reference.name().unwrap_or_default();
            let holder = gather::holder(&live.cx, live.backend, name, goal)
                .await
                .map_err(|error| live.failure(error))?;
            gather::gather_promotion(&live.cx, live.backend, &live.reference, goal, holder, now)
                .await
                .map(|g| g.snapshot)
        }),
    };
    gathered.map_err(|e| AppError::Gather(Box::new(e)))
}

pub(crate) fn write(path: &Path, text: &str) -> Result<(), AppError> {
    std::fs::write(path, text).map_err(|source| AppError::Output {
        path: path.to_path_buf(),
        source,
    })
}

/// An error as a miette diagnostic: policy problems with their spans, everything else with
/// its help. Wrapped for people at a terminal; one message per line in CI logs.
pub fn render_error(error: &AppError) -> String {
    use miette::{GraphicalReportHandler, GraphicalTheme};
    let color = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(if color {
        100
    } else {
        usize::MAX / 2
    });
    let mut out = String::new();
    let rendered = match error {
        AppError::Policy(PolicyLoadError::Invalid(e)) => {
            e.for_display().render(&handler).map(|text| out = text)
        }
        other => {
            // Server words reach stderr too: shown, never obeyed by the terminal.
            let mut diagnostic = miette::MietteDiagnostic::new(crate::report::sanitize::terminal(
                &other.to_string(),
            ));
            if let Some(help) = other.help() {
                diagnostic = diagnostic.with_help(help);
            }
            handler.render_report(&mut out, &diagnostic)
        }
    };
    if rendered.is_err() {
        out = format!("{error}\n");
    }
    out
}

/// Colour on a terminal, unless `NO_COLOR` is set (https://no-color.org).
pub fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

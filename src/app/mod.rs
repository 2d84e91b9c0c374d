//! Orchestration of each subcommand: source → snapshot → engine → reporters → exit code.

mod audit;
mod check;
mod config;
mod error;
mod inspect;
mod outputs;
mod promote;
mod sarif_site;
mod server;
pub mod stdio;
mod target;
mod testing;

use std::io::IsTerminal;
use std::path::Path;

pub use check::today;
pub use error::{AliasFlaw, AppError, PromoteError, UsageError};
// Parser entry points, pub for the fuzz targets.
pub use config::parse as parse_config;
pub use testing::parse_file as parse_test_file;

use crate::cli::{Cli, Command, ServerArgs};
use crate::client::{Client, ClientError, ConnectKind};
use crate::exit::Exit;
use crate::gather::{self, Context, GatherFailure, Goal};
use crate::model_ref::ModelRef;
use crate::policy::PolicyLoadError;
use crate::report;
use crate::snapshot::io as snapshot_io;
use crate::snapshot::{Backend, Snapshot};

/// The bundled example snapshot (`examples/dolly3b.snapshot.json`).
pub const EXAMPLE_SNAPSHOT: &str = include_str!("../../examples/dolly3b.snapshot.json");

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
            error,
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
            // Server words reach stderr too: shown, never obeyed by the terminal. The code and
            // the help are the error's own (its `Diagnostic`).
            let mut diagnostic = miette::MietteDiagnostic::new(crate::report::sanitize::terminal(
                &other.to_string(),
            ));
            if let Some(code) = miette::Diagnostic::code(other) {
                diagnostic = diagnostic.with_code(code.to_string());
            }
            if let Some(help) = miette::Diagnostic::help(other) {
                diagnostic = diagnostic.with_help(help.to_string());
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

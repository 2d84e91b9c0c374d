//! Reading a model from a live server: one session (client context, backend, I/O runtime)
//! kept for every call a command makes, the gather of a version (with the incumbent when a
//! promotion target is named), and — when nothing could be gathered — the snapshot that says
//! why, so every output is still written before the run ends on exit 3.

use super::super::error::AppError;
use super::super::{server, stdio};
use crate::cli::ServerArgs;
use crate::client::{Client, ClientError, ConnectKind};
use crate::gather::{self, Context, GatherFailure, Goal};
use crate::model_ref::ModelRef;
use crate::snapshot::{Backend, Snapshot};

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

/// Now, as the RFC 3339 instant snapshots record (`gathered_at`).
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
    pub(crate) fn open(model: &str, server: &ServerArgs) -> Result<Self, AppError> {
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
    pub(crate) fn failure(&self, error: ClientError) -> GatherFailure {
        GatherFailure {
            reference: self.reference.to_string(),
            server: gather::server_label(self.cx.client()),
            backend: self.backend,
            error: error.into(),
        }
    }

    /// Runs one step of the command's I/O to completion.
    pub(crate) fn block_on<F: std::future::Future>(&self, step: F) -> F::Output {
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

//! Why a run stopped before a verdict, as one error type: each error carries a stable code
//! (`error_code.rs`, explained in `docs/errors.md`), the exit code that code documents, and
//! help when there is something to do. `AppError` is a miette diagnostic; a policy that did
//! not load keeps its problems (each with its span, label and code) as related diagnostics.

mod promote;
mod usage;

use std::fmt;
use std::path::PathBuf;

use miette::Diagnostic;
use thiserror::Error;

pub(crate) use promote::held;
pub use promote::PromoteError;
pub use usage::{AliasFlaw, UsageError};

use crate::client::{ClientError, ConnectKind, RateStop};
use crate::error_code::Code;
use crate::exit::Exit;
use crate::gather::{GatherFailure, ReadError};
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
    /// A flag, reference or configuration mlgate cannot act on.
    #[error(transparent)]
    Usage(#[from] UsageError),
    /// An input named on the command line or in a test file that cannot be read: an
    /// unreadable file must never be taken for an empty one.
    #[error("cannot read {what} {path}: {source}")]
    Read {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Output {
        path: PathBuf,
        source: std::io::Error,
    },
    /// `promote`: the target changed, a re-read or the move failed, or the record did.
    #[error(transparent)]
    Promote(#[from] PromoteError),
}

impl AppError {
    /// The stable code of this error (see `error_code.rs` and `docs/errors.md`).
    pub fn code(&self) -> Code {
        match self {
            AppError::Policy(e) => match e {
                PolicyLoadError::Read { .. } => Code::PolicyUnreadable,
                PolicyLoadError::EmptyDir(_) => Code::PolicyEmptyDir,
                PolicyLoadError::UnknownBuiltin(_) => Code::PolicyUnknownBuiltin,
                PolicyLoadError::Invalid(_) => Code::PolicyInvalid,
            },
            AppError::Snapshot(e) => match e {
                SnapshotIoError::Read { .. } => Code::SnapshotUnreadable,
                SnapshotIoError::Syntax { .. } => Code::SnapshotSyntax,
                SnapshotIoError::Shape { .. } => Code::SnapshotSchema,
                SnapshotIoError::Version { .. } => Code::SnapshotVersion,
                SnapshotIoError::Write { .. } => Code::SnapshotWrite,
            },
            AppError::Reference(_) => Code::UsageBadReference,
            AppError::NoTrackingUri => Code::UsageNoTrackingUri,
            AppError::Client(e) => client_code(e),
            AppError::Gather(g) => match &g.error {
                ReadError::Client(e) => client_code(e),
                ReadError::NoVersion { .. } => Code::GatherNotFound,
                ReadError::NoStages { .. } => Code::GatherHttp,
                ReadError::Unresolved { .. } | ReadError::Unlisted { .. } => Code::GatherBadAnswer,
            },
            AppError::Usage(e) => e.code(),
            AppError::Read { .. } => Code::UsageUnreadable,
            AppError::Output { .. } => Code::OutputWrite,
            AppError::Promote(e) => e.code(),
        }
    }

    /// The exit code for this error: the one its code documents (see `exit.rs`).
    pub fn exit(&self) -> Exit {
        // Every error code has an exit code (only warnings have none; a test holds it).
        self.code().exit().unwrap_or(Exit::Usage)
    }

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
            (Some(ClientError::RateLimited { stopped: RateStop::Attempts, .. }), _) => "the server is rate limiting this client: run the gate later, or raise MLFLOW_HTTP_REQUEST_MAX_RETRIES to keep retrying",
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
}

/// A 400 about an alias: MLflow's answer for an alias the model does not have.
fn is_alias_refusal(error: &ClientError) -> bool {
    error.status() == Some(400) && error.message().contains("alias")
}

/// The code of a failed call: one per way a call fails, and per refusal the user acts on
/// differently (credentials, permissions, a name that does not exist).
fn client_code(error: &ClientError) -> Code {
    match error {
        ClientError::Connect {
            kind: ConnectKind::Dns,
            ..
        } => Code::GatherDns,
        ClientError::Connect {
            kind: ConnectKind::Tls,
            ..
        } => Code::GatherTls,
        ClientError::Connect { .. } => Code::GatherConnect,
        ClientError::Timeout { .. } => Code::GatherTimeout,
        ClientError::Deadline { .. } => Code::GatherDeadline,
        ClientError::RateLimited { .. } => Code::GatherRateLimited,
        ClientError::Reset { .. } | ClientError::Truncated { .. } => Code::GatherConnectionBroken,
        ClientError::TooLarge { .. } => Code::GatherTooLarge,
        ClientError::NotJson { .. } => Code::GatherNotJson,
        ClientError::Decode { .. } | ClientError::Shape { .. } => Code::GatherBadAnswer,
        ClientError::Http { status: 401, .. } => Code::GatherUnauthorized,
        ClientError::Http { status: 403, .. } => Code::GatherForbidden,
        ClientError::Http { status: 404, .. } => Code::GatherNotFound,
        ClientError::Http { .. } if is_alias_refusal(error) => Code::GatherNotFound,
        ClientError::Http { .. } => Code::GatherHttp,
    }
}

/// The policy problems of a failed load, when that is what this is: drawn one by one, each
/// with its own code and span.
fn policy_problems(error: &AppError) -> Option<&crate::policy::PolicyErrors> {
    match error {
        AppError::Policy(PolicyLoadError::Invalid(e)) => Some(e),
        _ => None,
    }
}

impl Diagnostic for AppError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(AppError::code(self)))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        if let Some(problems) = policy_problems(self) {
            return problems.help();
        }
        AppError::help(self).map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        policy_problems(self).and_then(Diagnostic::related)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connect(kind: ConnectKind) -> ClientError {
        ClientError::Connect {
            url: "http://127.0.0.1:9".into(),
            kind,
            message: "os error 111".into(),
            attempts: 2,
        }
    }

    fn http(status: u16, message: &str) -> ClientError {
        ClientError::Http {
            method: "GET",
            url: "http://h/api/2.0/mlflow/registered-models/alias".into(),
            status,
            error_code: None,
            message: message.into(),
            attempts: 1,
            credentials: None,
            retry_after: None,
        }
    }

    #[test]
    fn a_failed_call_is_coded_by_what_the_user_does_about_it() {
        for (error, code) in [
            (connect(ConnectKind::Refused), Code::GatherConnect),
            (connect(ConnectKind::Dns), Code::GatherDns),
            (connect(ConnectKind::Tls), Code::GatherTls),
            (http(401, "no"), Code::GatherUnauthorized),
            (http(403, "no"), Code::GatherForbidden),
            (http(404, "no such model"), Code::GatherNotFound),
            (http(400, "alias champion not found"), Code::GatherNotFound),
            (http(400, "bad parameter"), Code::GatherHttp),
            (http(503, "down"), Code::GatherHttp),
        ] {
            let error = AppError::Client(error);
            assert_eq!(error.code(), code, "{error}");
            assert_eq!(error.exit(), Exit::Gather, "{error}");
        }
    }

    #[test]
    fn exit_codes_are_the_documented_ones() {
        let conflict = AppError::from(PromoteError::RequestGone {
            name: "m".into(),
            version: "3".into(),
            stage: "Production".into(),
        });
        assert_eq!(conflict.exit(), Exit::Conflict);
        let recorded = AppError::from(PromoteError::RecordFailed {
            candidate: "models:/m/3".into(),
            holds: "@champion".into(),
            reason: "HTTP 403".into(),
        });
        assert_eq!(recorded.exit(), Exit::RecordFailed);
        let moved = AppError::from(PromoteError::MoveFailed {
            source: Box::new(http(500, "boom")),
        });
        assert_eq!(moved.exit(), Exit::Gather);
        let usage = AppError::from(UsageError::BadNow { text: "x".into() });
        assert_eq!(
            (usage.exit(), usage.code()),
            (Exit::Usage, Code::UsageBadNow)
        );
        assert_eq!(AppError::NoTrackingUri.exit(), Exit::Usage);
    }

    #[test]
    fn the_diagnostic_carries_the_code_and_the_help() {
        let error = AppError::Client(connect(ConnectKind::Refused));
        let code = Diagnostic::code(&error).map(|c| c.to_string());
        assert_eq!(code.as_deref(), Some("gather::connect"));
        let help = Diagnostic::help(&error).map(|h| h.to_string());
        assert_eq!(help, error.help());
        assert!(help.is_some());
    }
}

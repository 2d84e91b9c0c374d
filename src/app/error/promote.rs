//! Promotion errors after the verdict: the target changed under mlgate, a re-read or the move
//! failed, or the verdict could not be recorded. Each says whether anything moved, and maps to
//! its own code and exit code (3, 4 or 5, see `exit.rs`).

use thiserror::Error;

use crate::client::ClientError;
use crate::error_code::Code;
use crate::gather::ReadError;

/// `version 3`, or `no version` for a vacant target (also in `promote`'s own lines).
pub(crate) fn held(version: Option<&str>) -> String {
    version.map_or_else(|| "no version".into(), |v| format!("version {v}"))
}

/// Why a promotion stopped after the rules were judged. Client errors are boxed: they are
/// large, and every `Result` of the app carries this type inside an `AppError`.
#[derive(Debug, Error)]
pub enum PromoteError {
    #[error("{holds} of {name} is held by {}, not {} as --expect-incumbent says; nothing moved", held(holder.as_deref()), held(expected.as_deref()))]
    UnexpectedIncumbent {
        holds: String,
        name: String,
        holder: Option<String>,
        expected: Option<String>,
    },
    #[error("{holds} of {name} changed while mlgate was checking: held by {} when it started, by {} now; the verdict was against the former, so nothing moved", held(before.as_deref()), held(now.as_deref()))]
    HolderChanged {
        holds: String,
        name: String,
        before: Option<String>,
        now: Option<String>,
    },
    #[error("models:/{name}/{version} has no open request to {stage} (any more); nothing moved")]
    RequestGone {
        name: String,
        version: String,
        stage: String,
    },
    #[error("after the move, {holds} of {name} is held by {}, not models:/{name}/{version}: another client moved it; the verdict is not recorded", held(now.as_deref()))]
    LostRace {
        holds: String,
        name: String,
        version: String,
        now: Option<String>,
    },
    #[error(
        "the move was sent, but it cannot be confirmed ({source}); check {holds} of {name} by hand"
    )]
    Unconfirmed {
        holds: String,
        name: String,
        source: Box<PromoteError>,
    },
    #[error("cannot re-read who holds {holds} right before moving: {}; nothing moved", source.message())]
    RereadHolder {
        holds: String,
        source: Box<ClientError>,
    },
    #[error("cannot re-read the transition requests of models:/{name}/{version}: {}; nothing moved", source.message())]
    RereadRequests {
        name: String,
        version: String,
        source: Box<ClientError>,
    },
    /// The candidate's version could not be read back after the move.
    #[error("{}", source.message())]
    ReadBack { source: Box<ReadError> },
    #[error("the move failed: {}; nothing moved", source.message())]
    MoveFailed { source: Box<ClientError> },
    #[error("{candidate} was promoted to {holds} and the promotion stands, but recording the verdict failed: {reason}")]
    RecordFailed {
        candidate: String,
        holds: String,
        /// The failed tag write, as the record step words it.
        reason: String,
    },
}

impl PromoteError {
    /// The stable code (see `error_code.rs`); its exit code is the run's.
    pub fn code(&self) -> Code {
        match self {
            PromoteError::UnexpectedIncumbent { .. } => Code::PromoteUnexpectedIncumbent,
            PromoteError::HolderChanged { .. } => Code::PromoteHolderChanged,
            PromoteError::RequestGone { .. } => Code::PromoteRequestGone,
            PromoteError::LostRace { .. } => Code::PromoteLostRace,
            PromoteError::Unconfirmed { .. } => Code::PromoteUnconfirmed,
            PromoteError::RereadHolder { .. }
            | PromoteError::RereadRequests { .. }
            | PromoteError::ReadBack { .. } => Code::PromoteReread,
            PromoteError::MoveFailed { .. } => Code::PromoteMoveFailed,
            PromoteError::RecordFailed { .. } => Code::PromoteRecordFailed,
        }
    }
}

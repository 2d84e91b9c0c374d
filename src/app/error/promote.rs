//! Promotion errors after the verdict: the target changed under mlgate, a re-read or the move
//! failed, or the verdict could not be recorded. Each says whether anything moved, and maps to
//! its own code and exit code (3, 4 or 5, see `exit.rs`).

use thiserror::Error;

use crate::client::ClientError;
use crate::error_code::Code;
use crate::gather::ReadError;

/// `version 3`, or `no version` for a vacant target (also in `promote`'s own lines).
pub(crate) use crate::report::promotion::held;
use crate::report::promotion::UNKNOWN;

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
    /// The move may or may not have happened: its answer was lost (or it was made) and
    /// reading the registry afterwards failed. Never "nothing moved".
    #[error("{UNKNOWN} ({holds} of {name}: {}reading the registry back failed: {})", answer.as_deref().map(|a| format!("the move's answer was lost ({a}), and ")).unwrap_or_default(), source.read_failure())]
    Unconfirmed {
        holds: String,
        name: String,
        /// The move's own failed answer, when it had one (a reset, a timeout, a 5xx).
        answer: Option<String>,
        source: Box<PromoteError>,
    },
    /// A stage move that would leave (or left) the stage resolving to another version:
    /// `models:/NAME/STAGE` is the newest version in it, so an older candidate added beside a
    /// newer one is not what the stage serves.
    #[error("models:/{name}/{stage} {} {}, not models:/{name}/{version}: {}", if *moved { "resolves to" } else { "would still resolve to" }, held(Some(resolves)), if *moved { "another version is newer in the stage; the verdict is not recorded" } else { "it is newer and stays in the stage without --archive-existing; nothing moved" })]
    StageResolvesElsewhere {
        name: String,
        stage: String,
        version: String,
        resolves: String,
        /// Whether the move was made (a newer version came in after it) or refused before.
        moved: bool,
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
    #[error("{candidate} was moved to {holds} and the move stands, but appending it to the ledger failed: {reason}")]
    LedgerFailed {
        candidate: String,
        holds: String,
        reason: String,
    },
}

impl PromoteError {
    /// A failed read as the unknown outcome quotes it: the call and what went wrong, without
    /// the "nothing moved" a read before the move ends with.
    fn read_failure(&self) -> String {
        match self {
            PromoteError::RereadHolder { source, .. }
            | PromoteError::RereadRequests { source, .. } => source.to_string(),
            PromoteError::ReadBack { source } => source.message(),
            other => other.to_string(),
        }
    }

    /// The stable code (see `error_code.rs`); its exit code is the run's.
    pub fn code(&self) -> Code {
        match self {
            PromoteError::UnexpectedIncumbent { .. } => Code::PromoteUnexpectedIncumbent,
            PromoteError::HolderChanged { .. } => Code::PromoteHolderChanged,
            PromoteError::RequestGone { .. } => Code::PromoteRequestGone,
            PromoteError::LostRace { .. } => Code::PromoteLostRace,
            PromoteError::Unconfirmed { .. } => Code::PromoteUnconfirmed,
            PromoteError::StageResolvesElsewhere { .. } => Code::PromoteStageResolvesElsewhere,
            PromoteError::RereadHolder { .. }
            | PromoteError::RereadRequests { .. }
            | PromoteError::ReadBack { .. } => Code::PromoteReread,
            PromoteError::MoveFailed { .. } => Code::PromoteMoveFailed,
            PromoteError::RecordFailed { .. } => Code::PromoteRecordFailed,
            PromoteError::LedgerFailed { .. } => Code::PromoteLedgerFailed,
        }
    }
}

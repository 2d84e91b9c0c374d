//! The registry steps after a green (or red) verdict, all on the one live session: the guard's
//! re-reads, the move sent once and settled by reading when its answer is lost, the
//! confirmation, the rejection of a request, and the record.

use super::action::{is_request_to, Action};
use super::record::Record;
use crate::app::error::{AppError, PromoteError, UsageError};
use crate::app::pipeline::session::Live;
use crate::app::stdio;
use crate::client::ClientError;
use crate::gather::{self, Goal, Write, WriteError};
use crate::report::promotion::{line, Said};

/// The registry steps after the verdict, all on the one live session.
pub(crate) struct Step<'a> {
    pub live: &'a Live,
    pub name: &'a str,
    pub candidate: &'a str,
    pub record: &'a Record<'a>,
    pub quiet: bool,
}

impl Step<'_> {
    fn write(&self, write: &Write<'_>) -> Result<(), WriteError> {
        let live = self.live;
        live.block_on(gather::write(&live.cx, live.backend, write))
    }

    pub(crate) fn holder(&self, goal: &Goal) -> Result<Option<String>, PromoteError> {
        let live = self.live;
        live.block_on(gather::holder(&live.cx, live.backend, self.name, goal))
            .map_err(|source| PromoteError::RereadHolder {
                holds: goal.holds(),
                source: Box::new(source),
            })
    }

    /// The candidate's open request to `stage` must still be there.
    pub(crate) fn require_open_request(&self, stage: &str) -> Result<(), AppError> {
        let live = self.live;
        let requests = live
            .block_on(gather::transition_requests(
                &live.cx,
                live.backend,
                self.name,
                self.candidate,
            ))
            .map_err(|source| PromoteError::RereadRequests {
                name: self.name.to_string(),
                version: self.candidate.to_string(),
                source: Box::new(source),
            })?
            .unwrap_or_default();
        if requests.iter().any(|r| is_request_to(r, stage)) {
            return Ok(());
        }
        Err(PromoteError::RequestGone {
            name: self.name.to_string(),
            version: self.candidate.to_string(),
            stage: stage.to_string(),
        }
        .into())
    }

    pub(crate) fn make_move(
        &self,
        action: &Action,
        archive: bool,
        goal: &Goal,
    ) -> Result<(), AppError> {
        let comment = self.record.comment();
        let (name, version) = (self.name, self.candidate);
        let write = match action {
            Action::Alias(alias) => Write::SetAlias {
                name,
                alias,
                version,
            },
            Action::Stage(stage) => Write::TransitionStage {
                name,
                version,
                stage,
                archive_existing: archive,
            },
            Action::Request(stage) => Write::ApproveTransitionRequest {
                name,
                version,
                stage,
                archive_existing: archive,
                comment: &comment,
            },
        };
        match self.write(&write) {
            Ok(()) => Ok(()),
            Err(WriteError::Unsupported { backend, what }) => {
                Err(UsageError::RegistryCannot { backend, what }.into())
            }
            // The answer may be lost after the server acted: the registry says what happened.
            // When it cannot be read either, a refusal still says nothing moved; any other
            // failure leaves the outcome unknown, never "nothing moved".
            Err(WriteError::Client(e)) => match self.holds_now(action, goal) {
                Ok(true) => {
                    if !self.quiet {
                        stdio::err(&line(&Said::MovedDespiteError {
                            answer: &e.message(),
                        }));
                    }
                    Ok(())
                }
                Err(reread) if may_have_acted(&e) => Err(PromoteError::Unconfirmed {
                    holds: goal.holds(),
                    name: self.name.to_string(),
                    answer: Some(e.message()),
                    source: Box::new(reread),
                }
                .into()),
                Ok(false) | Err(_) => Err(PromoteError::MoveFailed {
                    source: Box::new(e),
                }
                .into()),
            },
        }
    }

    /// Whether the candidate holds the goal now.
    fn holds_now(&self, action: &Action, goal: &Goal) -> Result<bool, PromoteError> {
        let live = self.live;
        match action {
            Action::Alias(_) => Ok(self.holder(goal)?.as_deref() == Some(self.candidate)),
            // A stage holds many versions: the candidate must be in it (an older candidate is
            // not the stage's latest unless the others were archived).
            Action::Stage(stage) | Action::Request(stage) => {
                let version = live
                    .block_on(gather::version_now(
                        &live.cx,
                        live.backend,
                        self.name,
                        self.candidate,
                    ))
                    .map_err(|source| PromoteError::ReadBack {
                        source: Box::new(source),
                    })?;
                Ok(version
                    .current_stage
                    .is_some_and(|s| s.eq_ignore_ascii_case(stage)))
            }
        }
    }

    pub(crate) fn confirm(&self, action: &Action, goal: &Goal) -> Result<(), AppError> {
        match self.holds_now(action, goal) {
            Ok(true) => match action {
                Action::Alias(_) => Ok(()),
                // In the stage, but is it what the stage resolves to? A newer version may
                // have come in beside it.
                Action::Stage(stage) | Action::Request(stage) => match self.holder(goal) {
                    Ok(now) if now.as_deref() == Some(self.candidate) => Ok(()),
                    Ok(now) => Err(PromoteError::StageResolvesElsewhere {
                        name: self.name.to_string(),
                        stage: stage.clone(),
                        version: self.candidate.to_string(),
                        resolves: now.unwrap_or_else(|| "no version".into()),
                        moved: true,
                    }
                    .into()),
                    Err(source) => Err(PromoteError::Unconfirmed {
                        holds: goal.holds(),
                        name: self.name.to_string(),
                        answer: None,
                        source: Box::new(source),
                    }
                    .into()),
                },
            },
            Ok(false) => {
                let now = self.holder(goal).ok().flatten();
                Err(PromoteError::LostRace {
                    holds: goal.holds(),
                    name: self.name.to_string(),
                    version: self.candidate.to_string(),
                    now,
                }
                .into())
            }
            Err(source) => Err(PromoteError::Unconfirmed {
                holds: goal.holds(),
                name: self.name.to_string(),
                answer: None,
                source: Box::new(source),
            }
            .into()),
        }
    }

    pub(crate) fn reject(&self, stage: &str) -> Result<(), String> {
        let comment = self.record.comment();
        self.write(&Write::RejectTransitionRequest {
            name: self.name,
            version: self.candidate,
            stage,
            comment: &comment,
        })
        .map_err(|e| {
            format!("the verdict is red, but rejecting the request to {stage} failed: {e}")
        })
    }

    /// Writes every `mlgate.*` tag, all at once: they are independent upserts, so seven round
    /// trips become one on a remote registry (a server that runs writes one at a time, as
    /// MLflow on sqlite does, gains nothing and loses nothing). The first failure in the
    /// record's order is said; a rerun completes the others.
    pub(crate) fn record(&self) -> Result<(), String> {
        let live = self.live;
        let tags = self.record.tags();
        let writes = tags.iter().map(|(key, value)| async move {
            let write = Write::SetVersionTag {
                name: self.name,
                version: self.candidate,
                key,
                value,
            };
            gather::write(&live.cx, live.backend, &write)
                .await
                .map_err(|e| {
                    format!(
                        "setting tag {key} on models:/{}/{}: {e}",
                        self.name, self.candidate
                    )
                })
        });
        let results = live.block_on(futures_util::future::join_all(writes));
        results.into_iter().collect()
    }
}

/// Whether a failed write may still have been carried out: anything but a connection that was
/// never made or a refusal the server gave before acting (a 4xx, a rate limit). A reset, a
/// timeout, a body cut short, a 5xx (a gateway may time out after the server acted) or an
/// answer that is not the API's leave the registry's state unknown until it is read.
fn may_have_acted(error: &ClientError) -> bool {
    match error {
        ClientError::Connect { .. } | ClientError::RateLimited { .. } => false,
        ClientError::Http { status, .. } => !(400..500).contains(status),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::ConnectKind;

    #[test]
    fn only_a_refusal_or_no_connection_proves_a_write_was_not_made() {
        let url = "http://h/api/2.0/mlflow/registered-models/alias".to_string();
        let http = |status| ClientError::Http {
            method: "POST",
            url: url.clone(),
            status,
            error_code: None,
            message: "no".into(),
            attempts: 1,
            credentials: None,
            retry_after: None,
        };
        let reset = ClientError::Reset {
            method: "POST",
            url: url.clone(),
            message: "connection reset".into(),
            attempts: 1,
        };
        let timeout = ClientError::Timeout {
            method: "POST",
            url: url.clone(),
            seconds: 120,
            attempts: 1,
        };
        let refused = ClientError::Connect {
            url: url.clone(),
            kind: ConnectKind::Refused,
            message: "os error 111".into(),
            attempts: 1,
        };
        for (error, acted) in [
            (reset, true),
            (timeout, true),
            (http(502), true),
            (http(504), true),
            (http(403), false),
            (http(404), false),
            (refused, false),
        ] {
            assert_eq!(may_have_acted(&error), acted, "{error}");
        }
    }
}

//! `mlgate promote`: the pre-promotion gate that also moves. Read who holds the target →
//! gather candidate and incumbent → evaluate → report → on red stop (recording why) → re-read
//! the target and move only if it is unchanged → confirm the move → record the verdict.
//!
//! No registry offers compare-and-set (an alias set is an unconditional upsert), so the guard
//! is a fresh read right before the one write, and a read after it: the window shrinks to one
//! round trip and a lost race is always reported (exit 4), never mistaken for a promotion.
//! Moves are sent once (a stage transition may archive other versions); a move whose answer
//! was lost is settled by reading the registry, not by sending it again.

mod action;
mod record;
mod steps;

use super::error::{held, AppError, PromoteError, UsageError};
use super::files::append;
use super::pipeline::emit::emit;
use super::pipeline::judge::judge;
use super::pipeline::prepare::prepare;
use super::pipeline::session::{not_gathered, now_rfc3339, Live};
use super::{server, stdio};
use crate::cli::PromoteArgs;
use crate::engine::Status;
use crate::exit::Exit;
use crate::gather;
use crate::report::promotion::{line, Said};
use crate::snapshot::Snapshot;
use action::{action, expected, registry_name, Action};
use record::Record;
use steps::Step;

pub(super) fn run(args: &PromoteArgs) -> Result<Exit, AppError> {
    let result = gate(args);
    // With --github, the step says whether the version moved (`promoted`), whatever the end.
    if args.output.github {
        let promoted = match &result {
            Ok(Exit::Pass) => !args.dry_run,
            Err(AppError::Promote(PromoteError::RecordFailed { .. })) => true,
            _ => false,
        };
        if let Some(path) = std::env::var_os("GITHUB_OUTPUT").filter(|p| !p.is_empty()) {
            append(
                std::path::Path::new(&path),
                &format!("promoted={promoted}\n"),
            )?;
        }
    }
    result
}

// why: the protocol of the module doc, step by step (holder, gather, judge, stop on red, guard,
// move, confirm, record); read top to bottom it is the audit trail of a promotion.
#[allow(clippy::too_many_lines)]
fn gate(args: &PromoteArgs) -> Result<Exit, AppError> {
    let prepared = prepare(&args.policy, &args.output, args.now.as_deref())?;
    let policy = &prepared.policy;
    let action = action(args, &policy.rules)?;
    let expected = args.expect_incumbent.as_deref().map(expected).transpose()?;
    if args.archive_existing && matches!(action, Action::Alias(_)) {
        return Err(UsageError::ArchiveNeedsStage.into());
    }
    let live = Live::open(&args.model, &args.server)?;
    let name = registry_name(&live.reference)?;
    action.supported_on(live.backend)?;
    let goal = action.goal();
    let holds = goal.holds();

    // The holder when mlgate starts: the version the verdict is about to be judged against.
    let holder = live
        .block_on(gather::holder(&live.cx, live.backend, &name, &goal))
        .map_err(|e| AppError::Gather(Box::new(live.failure(e))))?;
    if let Some(expected) = &expected {
        if &holder != expected {
            return Err(PromoteError::UnexpectedIncumbent {
                holds,
                name,
                holder,
                expected: expected.clone(),
            }
            .into());
        }
    }
    let gathered = live.block_on(gather::gather_promotion(
        &live.cx,
        live.backend,
        &live.reference,
        &goal,
        holder.clone(),
        now_rfc3339(),
    ));
    let mut snapshot = match gathered {
        Ok(g) => g.snapshot,
        Err(failure) => {
            // Every output still says why, before the run ends on exit 3.
            let error = AppError::Gather(Box::new(failure));
            if let Some(snapshot) = not_gathered(&args.model, &args.server, &error) {
                let judged = judge(&snapshot, &prepared, &args.output, !args.server.no_redact);
                emit(
                    &args.output,
                    !args.server.no_redact,
                    &snapshot,
                    &prepared,
                    &judged,
                )?;
            }
            stdio::err(&line(&Said::NothingMoved));
            return Err(error);
        }
    };
    match &action {
        Action::Alias(alias) => snapshot.target.alias = Some(alias.clone()),
        Action::Stage(stage) | Action::Request(stage) => {
            snapshot.target.stage = Some(stage.clone());
        }
    }
    let candidate = snapshot.target.version.clone().unwrap_or_default();
    // A version that is not READY cannot move whatever the rules say: recorded as a failed
    // fact before judging, so every output (JUnit's gather case too) agrees with exit 3.
    let not_ready = not_ready(&snapshot);
    if let Some(why) = not_ready.clone() {
        snapshot.errors.push(crate::snapshot::GatherError {
            section: "model_version.status".into(),
            call: "promote".into(),
            http_status: None,
            error_code: Some("NOT_READY".into()),
            message: why,
            ..crate::snapshot::GatherError::default()
        });
    }
    let judged = judge(&snapshot, &prepared, &args.output, !args.server.no_redact);
    emit(
        &args.output,
        !args.server.no_redact,
        &snapshot,
        &prepared,
        &judged,
    )?;

    let mut status = judged.verdict.status;
    // Not even --allow-gather-errors moves a version that is not READY.
    if not_ready.is_some() && status == Status::Pass {
        status = Status::Error;
    }
    let record = Record {
        status,
        target: action.record(),
        incumbent: holder.as_deref(),
        policy_digest: &policy.digest,
        evaluated_at: now_rfc3339(),
        summary: record::summary(&judged.verdict, &holds, holder.as_deref()),
        report: record::report_url(args.report_url.as_deref(), &server::process_env),
    };
    let step = Step {
        live: &live,
        name: &name,
        candidate: &candidate,
        record: &record,
        quiet: args.output.quiet,
    };
    let candidate_uri = format!("models:/{name}/{candidate}");
    if status != Status::Pass {
        if args.dry_run {
            say(
                args,
                &Said::WouldNotMove {
                    candidate: &candidate_uri,
                    holds: &holds,
                },
            );
        } else {
            if let (Action::Request(stage), Status::Fail) = (&action, status) {
                // Red is known whatever the registry answers (exit 1, not 3), and the tags
                // still say why: a request that is gone (or a refused rejection) is said.
                if let Err(e) = step.reject(stage) {
                    stdio::err(&line(&Said::StepFailed { why: &e }));
                }
            }
            if !args.no_record {
                // Red stays red whether or not the record lands; a lost record is said.
                if let Err(e) = step.record() {
                    stdio::err(&line(&Said::StepFailed { why: &e }));
                }
            }
            say(
                args,
                &Said::NotMoved {
                    candidate: &candidate_uri,
                    holds: &holds,
                },
            );
        }
        return Ok(match status {
            Status::Fail => Exit::PolicyFailed,
            _ => Exit::Gather,
        });
    }
    if args.dry_run {
        say(
            args,
            &Said::WouldMove {
                candidate: &candidate_uri,
                holds: &holds,
                held_by: &held(holder.as_deref()),
            },
        );
        return Ok(Exit::Pass);
    }

    // The guard: the target must still be held by the version judged against.
    let now_held = step.holder(&goal)?;
    if now_held != holder {
        return Err(PromoteError::HolderChanged {
            holds,
            name,
            before: holder,
            now: now_held,
        }
        .into());
    }
    if let Action::Request(stage) = &action {
        step.require_open_request(stage)?;
    }
    step.make_move(&action, args.archive_existing, &goal)?;
    step.confirm(&action, &goal)?;
    say(
        args,
        &Said::Moved {
            candidate: &candidate_uri,
            holds: &holds,
            held_by: &held(holder.as_deref()),
        },
    );
    if !args.no_record {
        step.record().map_err(|reason| PromoteError::RecordFailed {
            candidate: candidate_uri,
            holds,
            reason,
        })?;
    }
    Ok(Exit::Pass)
}

/// Why the candidate cannot be promoted whatever the rules say: it is not READY.
fn not_ready(snapshot: &Snapshot) -> Option<String> {
    let status = snapshot.model_version.as_ref()?.status.as_deref();
    match status {
        Some(s) if s.eq_ignore_ascii_case("READY") => None,
        other => Some(format!(
            "{} is not READY (status {}): only a READY version can be promoted",
            snapshot.model_uri(),
            other.unwrap_or("unknown")
        )),
    }
}

fn say(args: &PromoteArgs, said: &Said<'_>) {
    if !args.output.quiet {
        stdio::err(&line(said));
    }
}

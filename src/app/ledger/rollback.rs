//! `mlgate rollback`: the target back to an earlier holder, through `promote`'s gate. The
//! earlier holder is judged against today's policy with the current holder as the incumbent;
//! the current holder is expected right before the move (exit 4 when it moved meanwhile); the
//! ledger records the move as a rollback, with the reason when policy drift was accepted.

use super::named::Named;
use super::store::{read, target_of};
use crate::app::error::{AppError, UsageError};
use crate::app::promote;
use crate::cli::{PromoteArgs, RollbackArgs, RollbackOf};
use crate::exit::Exit;
use crate::gather;

pub(crate) fn run(args: RollbackArgs) -> Result<Exit, AppError> {
    // A usage error is said before the registry is asked anything: exit 2 even when it is down.
    if args
        .accept_policy_drift
        .as_deref()
        .is_some_and(|r| r.trim().is_empty())
    {
        return Err(UsageError::EmptyDriftReason.into());
    }
    let named = Named::of(
        &args.model,
        args.to_alias.as_deref(),
        args.to_stage.as_deref(),
    )?;
    let (holder, version) = {
        let live = named.session(&args.server)?;
        let holder = live
            .block_on(gather::holder(
                &live.cx,
                live.backend,
                &named.model,
                &named.goal,
            ))
            .map_err(|e| AppError::Gather(Box::new(live.failure(e))))?;
        let version = if let Some(v) = &args.to_version {
            v.clone()
        } else {
            let ledger = read(&live, &named.model, &target_of(&named.goal))?;
            ledger.previous_holder(holder.as_deref()).ok_or_else(|| {
                UsageError::NoEarlierHolder {
                    holds: named.goal.holds(),
                    name: named.model.clone(),
                    why: if ledger.is_empty() {
                        "its ledger is empty".into()
                    } else {
                        "its newest entry has no earlier holder".into()
                    },
                }
            })?
        };
        (holder, version)
    };
    let promote_args = PromoteArgs {
        model: format!("models:/{}/{version}", named.model),
        to_alias: args.to_alias,
        to_stage: args.to_stage,
        approve_request: None,
        dry_run: args.dry_run,
        // The holder read above must still hold the target when promote starts and right
        // before it moves: a rollback of something else than what was looked at is a race.
        expect_incumbent: Some(holder.unwrap_or_else(|| "none".into())),
        archive_existing: args.archive_existing,
        no_record: false,
        report_url: args.report_url,
        now: args.now,
        rollback: Some(RollbackOf {
            accept_policy_drift: args.accept_policy_drift,
        }),
        policy: args.policy,
        output: args.output,
        server: args.server,
    };
    promote::run(&promote_args)
}

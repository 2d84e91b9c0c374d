//! The guard's entries in a target's ledger: a holder that got there without mlgate is
//! recorded as `observed` (who moved it is not known: MLflow's events do not say), and a
//! revert as `guard-revert`. Both are appended after a fresh read of the ledger, so a move
//! `promote` made and is still recording is not mistaken for one made around the gate.

use super::protect::Target;
use crate::app::ledger::actor::NOT_THROUGH_MLGATE;
use crate::app::ledger::store::{append, now_millis, read, target_of};
use crate::app::pipeline::session::Live;
use crate::ledger::{Draft, How};

/// How long after a passing record was written the guard leaves an unrecorded holder alone:
/// `promote` writes its record first and its ledger entry right after, and the next decision
/// (a reconcile at the latest) records what is still missing then.
pub(super) const PROMOTE_GRACE_SECONDS: i64 = 30;

/// Records `holder` as `observed` when the ledger's newest entry does not put it there.
pub(super) fn observe(
    live: &Live,
    target: &Target,
    holder: &str,
    verdict: &str,
    source: &str,
) -> Result<(), String> {
    let ledger_target = target_of(&target.goal);
    let ledger = read(live, &target.model, &ledger_target).map_err(|e| e.to_string())?;
    let last = ledger.tip().and_then(|e| e.to.clone());
    if last.as_deref() == Some(holder) {
        return Ok(());
    }
    let draft = Draft {
        at: now_millis(),
        target: target.goal.holds(),
        from: last,
        to: Some(holder.to_string()),
        how: How::Observed,
        verdict: verdict.to_string(),
        policy: None,
        snapshot: None,
        actor: NOT_THROUGH_MLGATE.to_string(),
        run: None,
        reason: Some(format!("found by mlgate guard ({source})")),
    };
    append(live, &target.model, &ledger_target, &draft, None).map(|_| ())
}

/// Records the guard's move of `target` from the violating `from` back to `to`.
pub(super) fn reverted(
    live: &Live,
    target: &Target,
    from: &str,
    to: &str,
    policy: &str,
    why: &str,
) -> Result<(), String> {
    let draft = Draft {
        at: now_millis(),
        target: target.goal.holds(),
        from: Some(from.to_string()),
        to: Some(to.to_string()),
        how: How::GuardRevert,
        verdict: "pass".to_string(),
        policy: Some(policy.to_string()),
        snapshot: None,
        actor: "mlgate guard".to_string(),
        run: None,
        reason: Some(format!("version {from} violated the policy: {why}")),
    };
    append(live, &target.model, &target_of(&target.goal), &draft, None).map(|_| ())
}

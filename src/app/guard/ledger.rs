//! The guard's entries in a target's ledger: a holder that got there without mlgate (or a
//! target emptied without it) is recorded as `observed` (who moved it is not known: MLflow's events do not say), and a
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

/// What the ledger's newest entry left the target with.
pub(super) enum Last {
    /// The ledger is empty.
    Nothing,
    /// This version held it.
    Held(String),
    /// It was emptied (an observed removal).
    Emptied,
}

/// What the ledger's newest entry left the target with.
pub(super) fn last(live: &Live, target: &Target) -> Result<Last, String> {
    let ledger = read(live, &target.model, &target_of(&target.goal)).map_err(|e| e.to_string())?;
    Ok(match ledger.tip() {
        None => Last::Nothing,
        Some(entry) => entry.to.clone().map_or(Last::Emptied, Last::Held),
    })
}

/// Records `holder` (`None`: the target emptied) as `observed` when the ledger's newest entry
/// does not put it there.
pub(super) fn observe(
    live: &Live,
    target: &Target,
    holder: Option<&str>,
    verdict: &str,
    source: &str,
) -> Result<(), String> {
    let ledger_target = target_of(&target.goal);
    let ledger = read(live, &target.model, &ledger_target).map_err(|e| e.to_string())?;
    let last = ledger.tip().and_then(|e| e.to.clone());
    if last.as_deref() == holder {
        return Ok(());
    }
    let draft = Draft {
        at: now_millis(),
        target: target.goal.holds(),
        from: last,
        to: holder.map(str::to_string),
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

/// Records the guard's move of `target` from the violating `from` (`None`: emptied around
/// the gate) back to `to`.
pub(super) fn reverted(
    live: &Live,
    target: &Target,
    from: Option<&str>,
    to: &str,
    policy: &str,
    why: &str,
) -> Result<(), String> {
    let reason = match from {
        Some(from) => format!("version {from} violated the policy: {why}"),
        None => format!("restored: {why}"),
    };
    let draft = Draft {
        at: now_millis(),
        target: target.goal.holds(),
        from: from.map(str::to_string),
        to: Some(to.to_string()),
        how: How::GuardRevert,
        verdict: "pass".to_string(),
        policy: Some(policy.to_string()),
        snapshot: None,
        actor: "mlgate guard".to_string(),
        run: None,
        reason: Some(reason),
    };
    append(live, &target.model, &target_of(&target.goal), &draft, None).map(|_| ())
}

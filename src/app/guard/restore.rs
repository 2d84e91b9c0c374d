//! When a target must go back: a holder that fails, or a target emptied around the gate.
//! The version it goes back to must pass today's policy (an earlier holder recorded under
//! another policy is judged again first), and the move is `promote`'s guarded one: the holder
//! re-read right before, the move sent once, confirmed by reading.

use super::decide::Judge;
use super::decision::{Act, Decision};
use super::ledger::{self, Last};
use super::protect::Target;
use super::seen::{passing_elsewhere, Seen};
use crate::app::pipeline::session::{now_rfc3339, Live};
use crate::app::promote::action::Action;
use crate::app::promote::record::{self, Record};
use crate::app::promote::steps::Step;
use crate::cli::OnViolation;
use crate::engine::Status;
use crate::gather::{wire, Goal};
use crate::report::promotion::held;

/// Earlier holders judged again, newest first, when none has a record valid today: each is a
/// whole gather, and a revert waits for them.
const REJUDGED: usize = 3;

impl Judge {
    /// Nothing holds the target. With an empty ledger there is nothing to judge; otherwise
    /// it was emptied around the gate (mlgate never empties a target): a violation, recorded
    /// in the ledger as observed, and with `revert` the target is restored to its last
    /// compliant holder.
    pub(super) fn vacant(
        &self,
        live: &Live,
        target: &Target,
        versions: &[wire::ModelVersion],
        d: &mut Decision,
    ) {
        let holds = target.goal.holds();
        let last = match ledger::last(live, target) {
            Ok(last) => last,
            Err(e) => {
                return d.reason =
                    format!("no version holds {holds}, and its ledger could not be read: {e}");
            }
        };
        match last {
            Last::Nothing => {
                d.action = Act::Accepted;
                d.reason =
                    format!("no version holds {holds} and its ledger is empty: nothing to judge");
                return;
            }
            Last::Held(v) => {
                d.reason = format!(
                    "{holds} was emptied around the gate: the ledger's newest entry put version \
                     {v} there"
                );
                d.from = Some(v);
                // Said once: the observed entry makes the next pass find it recorded.
                d.fresh = true;
                if let Err(e) = ledger::observe(live, target, None, "none", &d.source) {
                    d.reason = format!("{}; the ledger could not be written: {e}", d.reason);
                }
            }
            Last::Emptied => {
                d.reason = format!("{holds} is empty since it was emptied around the gate");
            }
        }
        d.action = Act::Reported;
        if target.on_violation == OnViolation::Report {
            return;
        }
        self.restore(live, target, None, versions, d);
    }

    /// Moves the target from the violating `holder` (or from nothing) back to its last
    /// compliant holder, and says so in `d`; a target with none to go back to is left as it
    /// is.
    pub(super) fn restore(
        &self,
        live: &Live,
        target: &Target,
        holder: Option<&str>,
        versions: &[wire::ModelVersion],
        d: &mut Decision,
    ) {
        let holds = target.goal.holds();
        let clock = crate::timefmt::parse_instant(&now_rfc3339()).unwrap_or(0);
        let digest = self.read().policy.digest.clone();
        let passing = passing_elsewhere(versions, target, holder);
        let back_to = match self.back_to(live, target, holder, &passing, &digest, clock) {
            Ok(found) => found,
            Err(why) => {
                d.reason = format!(
                    "{}; no compliant holder to go back to ({why}): {holds} stays with {}",
                    d.reason,
                    held(holder)
                );
                return;
            }
        };
        match revert(live, target, holder, &back_to) {
            Ok(()) => {
                d.action = Act::Reverted;
                d.fresh = true;
                if let Err(e) = ledger::reverted(live, target, holder, &back_to, &digest, &d.reason)
                {
                    d.reason = format!("{}; the ledger could not be written: {e}", d.reason);
                }
                d.from = holder.map(str::to_string);
                d.to = Some(back_to);
            }
            Err(why) => {
                d.action = Act::CouldNotDecide;
                d.reason = format!(
                    "{}; moving {holds} back to version {back_to} failed: {why}",
                    d.reason
                );
            }
        }
    }

    /// The version a revert goes back to, from `passing` (newest record first): the newest
    /// that is compliant today. A record under another policy or past `max_age` is judged
    /// again first (the verdict recorded on it), so a revert never lands on a version today's
    /// policy fails; at most [`REJUDGED`] of them, newest first. `Err` says why none is.
    fn back_to(
        &self,
        live: &Live,
        target: &Target,
        holder: Option<&str>,
        passing: &[(&str, Seen)],
        digest: &str,
        clock: i64,
    ) -> Result<String, String> {
        if passing.is_empty() {
            return Err("no other version passed for this target".into());
        }
        if let Some((v, _)) = passing
            .iter()
            .find(|(_, s)| s.valid_for(target, digest, clock))
        {
            return Ok((*v).to_string());
        }
        let mut failed = Vec::new();
        for (version, _) in passing.iter().take(REJUDGED) {
            match self.judge(live, target, version, holder) {
                Ok((Status::Pass, _)) => return Ok((*version).to_string()),
                Ok((status, _)) => failed.push(format!(
                    "version {version} is {} under today's policy",
                    record::verdict_word(status)
                )),
                Err(why) => failed.push(why),
            }
        }
        Err(failed.join("; "))
    }
}

/// Moves `target` from the violating `holder` back to `back_to`: promote's guarded move (the
/// holder re-read right before, the move sent once, confirmed by reading).
fn revert(live: &Live, target: &Target, holder: Option<&str>, back_to: &str) -> Result<(), String> {
    let action = match &target.goal {
        Goal::Alias(a) => Action::Alias(a.clone()),
        Goal::Stage(s) => Action::Stage(s.clone()),
    };
    let record = Record {
        status: Status::Pass,
        target: target.record(),
        incumbent: holder,
        policy_digest: "",
        evaluated_at: now_rfc3339(),
        summary: String::new(),
        report: None,
    };
    let step = Step {
        live,
        name: &target.model,
        candidate: back_to,
        record: &record,
        quiet: true,
    };
    let goal = action.goal();
    let now = step.holder(&goal).map_err(|e| e.to_string())?;
    if now.as_deref() != holder {
        return Err(format!(
            "{} moved again meanwhile (now {}): left to the next decision",
            goal.holds(),
            held(now.as_deref())
        ));
    }
    // A stage resolves to its newest version: the violating one must leave it.
    step.make_move(&action, true, &goal)
        .map_err(|e| e.to_string())?;
    step.confirm(&action, &goal).map_err(|e| e.to_string())
}

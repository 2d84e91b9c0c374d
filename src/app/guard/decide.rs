//! Deciding one protected target: read who holds it and the records on the model's versions,
//! accept a holder with a valid passing record, otherwise judge it (against the last compliant
//! holder as incumbent) and record the verdict; on a violation report it and, when asked,
//! move the target back through promote's guarded move.
//!
//! Every decision starts from the registry and ends in it, so it is idempotent: a restarted
//! guard, a second guard or a repeated event reads the record the first one wrote and accepts.
//! The guard's own writes cause events (`model_version_tag.set`, `model_version_alias.created`)
//! that end here as `accepted`: no loop.

use std::path::PathBuf;
use std::sync::RwLock;
use std::time::Instant;

use super::decision::{Act, Decision};
use super::ledger;
use super::protect::Target;
use super::seen::{passing_elsewhere, Seen};
use crate::app::audit::names::file_for;
use crate::app::pipeline::emit::{emit_to, Outputs};
use crate::app::pipeline::judge::judge_quietly;
use crate::app::pipeline::prepare::Prepared;
use crate::app::pipeline::session::{now_rfc3339, Live};
use crate::app::promote::record::{self, Record};
use crate::app::promote::steps::Step;
use crate::cli::{OnViolation, OutputArgs, ServerArgs};
use crate::engine::Status;
use crate::gather::{self, Goal};
use crate::model_ref::ModelRef;
use crate::report::reporter::Shape;

/// What every decision needs: where the registry is, the policy, where reports go.
pub(crate) struct Judge {
    pub server: ServerArgs,
    /// Behind a lock because the date waivers expire against moves while a service runs.
    pub prepared: RwLock<Prepared>,
    /// Only `fail_on` and friends: the guard's outputs are its own.
    pub output: OutputArgs,
    pub report_dir: Option<PathBuf>,
}

impl Judge {
    /// Decides `target`; `source` says what asked (`reconcile`, `webhook:<id>`).
    pub(crate) fn decide(&self, target: &Target, source: &str) -> Decision {
        let started = Instant::now();
        // Undecided until `decide_into` says otherwise: every early return is a reason.
        let mut d = Decision::undecided(target, source, "");
        self.decide_into(target, &mut d);
        d.time = now_rfc3339();
        d.latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        d
    }

    // why: one decision read top to bottom (read, accept, judge, record, report, revert) is
    // the audit trail the decision log summarises.
    #[allow(clippy::too_many_lines)]
    fn decide_into(&self, target: &Target, d: &mut Decision) {
        let (name, goal, holds) = (&target.model, &target.goal, target.goal.holds());
        let reference = match goal {
            Goal::Alias(a) => format!("models:/{name}@{a}"),
            Goal::Stage(s) => format!("models:/{name}/{s}"),
        };
        let live = match Live::open(&reference, &self.server) {
            Ok(live) => live,
            Err(e) => return d.reason = format!("cannot reach the registry: {e}"),
        };
        let now = match live.block_on(gather::target_now(&live.cx, live.backend, name, goal)) {
            Ok(now) => now,
            Err(e) => return d.reason = format!("reading who holds {holds}: {e}"),
        };
        let Some(holder) = now.holder.clone() else {
            return self.vacant(&live, target, &now.versions, d);
        };
        d.to = Some(holder.clone());
        let seen = |v: &str| now.versions.iter().find(|m| m.version == v).map(Seen::of);
        let Some(held) = seen(&holder) else {
            return d.reason = format!(
                "version {holder} holds {holds} but the model's version listing does not show it"
            );
        };
        let clock = crate::timefmt::parse_instant(&now_rfc3339()).unwrap_or(0);
        let digest = self.read().policy.digest.clone();
        // The last compliant holder: the newest passing record for this target elsewhere.
        let previous = passing_elsewhere(&now.versions, target, Some(&holder))
            .first()
            .map(|(v, _)| (*v).to_string());
        d.from.clone_from(&previous);
        // A passing record this young may be a promotion still writing its ledger entry.
        let promoting = held.passed()
            && held
                .evaluated_at
                .as_deref()
                .and_then(crate::timefmt::parse_instant)
                .is_some_and(|t| clock - t < ledger::PROMOTE_GRACE_SECONDS);
        let observe = |d: &mut Decision, verdict: &str| {
            if promoting {
                return;
            }
            if let Err(e) = ledger::observe(&live, target, Some(&holder), verdict, &d.source) {
                d.reason = format!("{}; the ledger could not be written: {e}", d.reason);
            }
        };
        if held.valid_for(target, &digest, clock) && held.passed() {
            d.action = Act::Accepted;
            d.verdict = Some("pass");
            d.reason =
                format!("version {holder} carries a passing record for {holds} under this policy");
            observe(d, "pass");
            return;
        }
        // A version already judged red for this target under this policy is not judged again.
        let (status, summary, judged_now) = if held.valid_for(target, &digest, clock) {
            let status = match held.verdict.as_deref() {
                Some("fail") => Status::Fail,
                _ => Status::Error,
            };
            (
                status,
                format!(
                    "version {holder} was recorded {} for {holds} under this policy",
                    record::verdict_word(status)
                ),
                false,
            )
        } else {
            match self.judge(&live, target, &holder, previous.as_deref()) {
                Ok((status, summary)) => (status, summary, true),
                Err(why) => return d.reason = why,
            }
        };
        d.verdict = Some(record::verdict_word(status));
        if status == Status::Pass {
            d.action = Act::Recorded;
            d.reason =
                format!("version {holder} had no valid record for {holds}; judged now: {summary}");
            observe(d, "pass");
            return;
        }
        d.action = Act::Reported;
        d.reason = summary;
        d.fresh = judged_now;
        observe(d, record::verdict_word(status));
        if target.on_violation == OnViolation::Report {
            return;
        }
        self.restore(&live, target, Some(&holder), &now.versions, d);
    }

    /// Waivers expire against today's date, which moves while a service runs.
    pub(crate) fn refresh_today(&self) {
        let Ok(today) = crate::app::pipeline::prepare::today(None) else {
            return;
        };
        if self.read().today != today {
            self.prepared
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .today = today;
        }
    }

    pub(super) fn read(&self) -> std::sync::RwLockReadGuard<'_, Prepared> {
        self.prepared
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Judges the holder as `check --target-…` would, against `previous` as incumbent; records
    /// the verdict on it and writes the report of a violation. Returns the verdict and its
    /// one-line summary; `Err` when the holder could not be gathered at all.
    pub(super) fn judge(
        &self,
        live: &Live,
        target: &Target,
        holder: &str,
        previous: Option<&str>,
    ) -> Result<(Status, String), String> {
        let (name, goal, holds) = (&target.model, &target.goal, target.goal.holds());
        let reference = ModelRef::Version {
            name: name.clone(),
            version: holder.to_string(),
        };
        let gathered = live.block_on(gather::gather_promotion(
            &live.cx,
            live.backend,
            &reference,
            goal,
            previous.map(str::to_string),
            now_rfc3339(),
        ));
        let mut snapshot = gathered
            .map_err(|f| format!("gathering version {holder}: {}", f.error))?
            .snapshot;
        match goal {
            Goal::Alias(a) => snapshot.target.alias = Some(a.clone()),
            Goal::Stage(s) => snapshot.target.stage = Some(s.clone()),
        }
        let prepared = self.read();
        let judged = judge_quietly(&snapshot, &prepared, &self.output, true);
        let status = judged.verdict.status;
        let summary = record::summary(&judged.verdict, &holds, previous);
        let record = Record {
            status,
            target: target.record(),
            incumbent: previous,
            policy_digest: &prepared.policy.digest,
            evaluated_at: now_rfc3339(),
            summary: summary.clone(),
            report: None,
        };
        let step = Step {
            live,
            name,
            candidate: holder,
            record: &record,
            quiet: true,
        };
        // The record is the guard's memory: a verdict that cannot be recorded is said, and the
        // next decision judges again.
        let mut said = summary;
        if let Err(e) = step.record() {
            said = format!("{said}; recording the verdict failed: {e}");
        }
        if status != Status::Pass {
            if let Some(dir) = &self.report_dir {
                if let Err(e) =
                    self.write_report(dir, target, holder, &snapshot, &prepared, &judged)
                {
                    said = format!("{said}; the report could not be written: {e}");
                }
            }
        }
        Ok((status, said))
    }

    fn write_report(
        &self,
        dir: &std::path::Path,
        target: &Target,
        holder: &str,
        snapshot: &crate::snapshot::Snapshot,
        prepared: &Prepared,
        judged: &crate::app::pipeline::judge::Judged,
    ) -> Result<(), String> {
        // `DIR/<model>/<target>-v<version>-<time>.md`, named as `check --report-dir` names.
        let stamp: String = now_rfc3339()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        let version = format!("{}-v{holder}-{stamp}", target.goal.holds());
        let path = file_for(dir, &target.model, &version, "md").map_err(|e| e.to_string())?;
        let output = OutputArgs {
            report: Some(path),
            quiet: true,
            fail_on: self.output.fail_on,
            ..OutputArgs::default()
        };
        let outputs = Outputs::open(&output, prepared, Shape::One).map_err(|e| e.to_string())?;
        emit_to(outputs, true, snapshot, prepared, judged, None).map_err(|e| e.to_string())
    }
}

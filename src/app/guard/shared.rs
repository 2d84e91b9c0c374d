//! The guard shared by every worker: the judge, the protection rules, the decision log, the
//! notifier and the metrics; deciding one target and saying what was decided; one reconcile
//! pass (`--once`) and its exit code.

use std::sync::Arc;

use super::decide::Judge;
use super::decision::{Act, Decision, Log};
use super::notify::Notifier;
use super::{protect, targets};
use crate::app::error::AppError;
use crate::exit::Exit;
use crate::serve::Metrics;

/// The MLflow webhooks' signing secret.
pub(super) const MLFLOW_SECRET_VAR: &str = "MLGATE_WEBHOOK_SECRET";

/// Everything a decision and its outputs need, shared by every worker.
pub(super) struct Guard {
    pub judge: Judge,
    pub rules: Vec<protect::Protect>,
    /// As given, for what `promote` decides on the guard's behalf (transition requests).
    pub policy: crate::cli::PolicyArgs,
    pub log: Log,
    /// Counted for `/metrics` (and kept, unread, without `--listen`).
    pub metrics: Arc<Metrics>,
    pub notifier: Option<Notifier>,
}

impl Guard {
    /// Decides `target`, then logs and notifies what was decided.
    pub(super) fn decide(&self, target: &protect::Target, source: &str) -> Decision {
        self.judge.refresh_today();
        let decision = self.judge.decide(target, source);
        self.finish(decision)
    }

    /// Says what was decided: the decision log, and a notification of a fresh violation.
    pub(super) fn finish(&self, decision: Decision) -> Decision {
        self.log.write(&decision);
        self.metrics.decision(
            decision.action.as_str(),
            std::time::Duration::from_millis(decision.latency_ms),
        );
        if decision.action.is_violation() && decision.fresh {
            if let Some(n) = &self.notifier {
                n.send(&decision);
            }
        }
        decision
    }

    /// One reconcile pass over every target, `concurrency` at a time: exit 1 when a holder
    /// violates its policy, else 3 when a target could not be decided, else 0.
    pub(super) fn once(&self, concurrency: usize) -> Result<Exit, AppError> {
        let targets = targets::expand(&self.rules, &self.judge.server)?;
        let decisions = targets::decide_all(&targets, concurrency, |t| self.decide(t, "reconcile"));
        Ok(exit_of(&decisions))
    }
}

/// The exit code of a reconcile pass: a violation is a failed policy (1) even when other
/// targets could not be decided; an undecided target is never a pass.
fn exit_of(decisions: &[Decision]) -> Exit {
    if decisions.iter().any(|d| d.action.is_violation()) {
        Exit::PolicyFailed
    } else if decisions.iter().any(|d| d.action == Act::CouldNotDecide) {
        Exit::Gather
    } else {
        Exit::Pass
    }
}

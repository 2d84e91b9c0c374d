//! `mlgate guard`: keeps protected aliases and stages compliant, also when someone goes around
//! the gate. What is protected ([`protect`]) expands into targets; each is decided
//! ([`decide`]): a holder with mlgate's passing record for that target is accepted, any other
//! holder is judged now, its verdict recorded, and a violation reported or reverted. `--once`
//! decides every target once and exits with the usual codes; the service ([`service`])
//! reconciles every `--poll` and, with `--listen`, decides a target as soon as a signed
//! webhook says it changed. Its state is the registry's records, never a local file.

mod decide;
mod decision;
mod listen;
mod notify;
mod protect;
mod register;
mod request;
mod scheduler;
mod service;
mod targets;

use std::sync::{Arc, RwLock};

use super::config::Config;
use super::error::AppError;
use super::pipeline::prepare::prepare;
use crate::cli::{GuardArgs, OutputArgs};
use crate::exit::Exit;
use crate::serve::Metrics;
use decide::Judge;
use decision::{Act, Decision, Log};
use notify::Notifier;

pub(super) fn run(args: &GuardArgs) -> Result<Exit, AppError> {
    let config = Config::find(&args.policy)?;
    let rules = protect::rules(
        &config.file.protect,
        &args.protect,
        args.on_violation,
        args.max_age.as_deref(),
    )?;
    // Only the threshold: the guard's outputs are the decision log and the violation reports.
    let output = OutputArgs {
        fail_on: args.fail_on,
        quiet: true,
        ..OutputArgs::default()
    };
    let prepared = prepare(&args.policy, &output, None)?;
    let log = Log::open(args.decisions.as_deref()).map_err(|source| AppError::Output {
        path: args.decisions.clone().unwrap_or_default(),
        source,
    })?;
    let guard = Guard {
        judge: Judge {
            server: args.server.clone(),
            prepared: RwLock::new(prepared),
            output,
            report_dir: args.report_dir.clone(),
        },
        rules,
        policy: args.policy.clone(),
        log,
        metrics: Arc::new(Metrics::new()),
        notifier: args.notify.as_deref().map(Notifier::new).transpose()?,
    };
    if args.once {
        return guard.once(usize::from(args.concurrency));
    }
    service::run(&guard, args)
}

/// Everything a decision and its outputs need, shared by every worker.
struct Guard {
    judge: Judge,
    rules: Vec<protect::Protect>,
    /// As given, for what `promote` decides on the guard's behalf (transition requests).
    policy: crate::cli::PolicyArgs,
    log: Log,
    /// Counted for `/metrics` (and kept, unread, without `--listen`).
    metrics: Arc<Metrics>,
    notifier: Option<Notifier>,
}

impl Guard {
    /// Decides `target`, then logs and notifies what was decided.
    fn decide(&self, target: &protect::Target, source: &str) -> Decision {
        self.judge.refresh_today();
        let decision = self.judge.decide(target, source);
        self.finish(decision)
    }

    /// Says what was decided: the decision log, and a notification of a fresh violation.
    fn finish(&self, decision: Decision) -> Decision {
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
    fn once(&self, concurrency: usize) -> Result<Exit, AppError> {
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

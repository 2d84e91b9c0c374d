//! `mlgate guard`: keeps protected aliases and stages compliant, also when someone goes around
//! the gate. What is protected ([`protect`]) expands into targets; each is decided
//! ([`decide`]): a holder with mlgate's passing record for that target is accepted, any other
//! holder is judged now, its verdict recorded, and a violation reported or reverted. `--once`
//! decides every target once and exits with the usual codes; the service ([`service`])
//! reconciles every `--poll` and, with `--listen`, decides a target as soon as a signed
//! webhook says it changed. Its state is the registry's records, never a local file.

mod decide;
mod decision;
mod ledger;
mod listen;
mod notify;
mod protect;
mod register;
mod request;
mod restore;
mod scheduler;
mod seen;
mod service;
mod shared;
mod targets;

use std::sync::{Arc, RwLock};

use super::config::Config;
use super::error::AppError;
use super::pipeline::prepare::prepare;
use crate::cli::{GuardArgs, OutputArgs};
use crate::exit::Exit;
use crate::serve::Metrics;
use decide::Judge;
use decision::Log;
use notify::Notifier;
use shared::Guard;

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

//! The long-running guard: `--concurrency` workers take decisions from the [`Scheduler`], a
//! reconcile pass asks for every target at start and every `--poll`, and (with `--listen`)
//! verified webhooks ask for the targets they touch. SIGTERM, SIGINT or SIGHUP stop it
//! gracefully: no new decision starts, running ones finish (a decision's writes are a guarded
//! move and upserted tags, each complete or left to the next reconcile), then it exits 0.
//! Nothing is kept on disk: a restarted guard reads the registry's records and carries on.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Duration;

use super::scheduler::{Job, Scheduler};
use super::{targets, Guard};
use crate::app::audit::stop::Stop;
use crate::app::error::AppError;
use crate::app::stdio;
use crate::cli::GuardArgs;
use crate::exit::Exit;

/// What the workers, the reconcile loop and the listener share.
pub(super) struct Service<'g> {
    pub guard: &'g Guard,
    pub scheduler: Scheduler,
    /// Set when the service stops; the reconcile loop wakes on `wake`.
    stopping: Mutex<bool>,
    wake: Condvar,
    /// Whether the last reconcile pass could list the targets (for `/healthz`).
    pub healthy: AtomicBool,
    pub last_problem: Mutex<String>,
}

impl Service<'_> {
    fn stop(&self) {
        *self.stopping.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.wake.notify_all();
        self.scheduler.close();
    }

    /// Waits `poll` or until the service stops; `true` when it stops.
    fn sleep(&self, poll: Duration) -> bool {
        let stopping = self.stopping.lock().unwrap_or_else(PoisonError::into_inner);
        let (stopping, _) = self
            .wake
            .wait_timeout_while(stopping, poll, |s| !*s)
            .unwrap_or_else(PoisonError::into_inner);
        *stopping
    }

    /// One reconcile pass: every target the rules name now is asked for.
    fn reconcile(&self) {
        match targets::expand(&self.guard.rules, &self.guard.judge.server) {
            Ok(targets) => {
                self.healthy.store(true, Ordering::Relaxed);
                for t in targets {
                    self.scheduler.ask(Job::new(t, "reconcile"));
                }
            }
            Err(e) => {
                self.healthy.store(false, Ordering::Relaxed);
                let why = format!("listing the protected targets failed: {e}");
                stdio::err(&format!("mlgate guard: {why}\n"));
                *self
                    .last_problem
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = why;
            }
        }
    }

    fn work(&self) {
        while let Some(job) = self.scheduler.next() {
            match &job.request {
                Some(version) => self.guard.decide_request(&job.target, version, &job.source),
                None => self.guard.decide(&job.target, &job.source),
            };
            self.scheduler.done(&job);
        }
    }
}

pub(super) fn run(guard: &Guard, args: &GuardArgs) -> Result<Exit, AppError> {
    let service = Service {
        guard,
        scheduler: Scheduler::default(),
        stopping: Mutex::new(false),
        wake: Condvar::new(),
        healthy: AtomicBool::new(true),
        last_problem: Mutex::new(String::new()),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| AppError::Output {
            path: "the guard's runtime".into(),
            source: e,
        })?;
    let poll = Duration::from_secs(args.poll);
    let said = std::thread::scope(|s| {
        for _ in 0..args.concurrency {
            s.spawn(|| service.work());
        }
        s.spawn(|| {
            // The first pass at once: whatever happened while no guard ran is decided now.
            service.reconcile();
            while !service.sleep(poll) {
                service.reconcile();
            }
        });
        let said = runtime.block_on(async {
            let mut stop = Stop::install();
            stop.signalled().await
        });
        let waiting = service.scheduler.waiting();
        service.stop();
        (said, waiting)
    });
    let (said, waiting) = said;
    stdio::err(&format!(
        "mlgate guard: stopped on {said}; {waiting} waiting decision(s) left to the next reconcile\n"
    ));
    Ok(Exit::Pass)
}

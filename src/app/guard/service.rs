//! The long-running guard: `--concurrency` workers take decisions from the [`Scheduler`], a
//! reconcile pass asks for every target at start and every `--poll`, and with `--listen` the
//! webhook listener (`crate::serve`) asks for the targets a verified event touches. SIGTERM,
//! SIGINT or SIGHUP stop it gracefully: the listener stops accepting and drains, no new
//! decision starts, running ones finish (a decision's writes are a guarded move and upserted
//! tags, each complete or left to the next reconcile), then it exits 0. Nothing is kept on
//! disk: a restarted guard reads the registry's records and carries on.

use std::net::SocketAddr;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use super::listen::{GuardSink, Health};
use super::register::register;
use super::scheduler::{Job, Scheduler};
use super::shared::{Guard, MLFLOW_SECRET_VAR};
use super::targets;
use crate::app::audit::stop::Stop;
use crate::app::error::AppError;
use crate::app::stdio;
use crate::cli::GuardArgs;
use crate::exit::Exit;
use crate::serve::{self, Listener};

/// The Databricks registry webhooks' signing secret.
const DATABRICKS_SECRET_VAR: &str = "MLGATE_DATABRICKS_WEBHOOK_SECRET";

/// What the workers and the reconcile loop share.
struct Service<'g> {
    guard: &'g Guard,
    scheduler: Arc<Scheduler>,
    health: Arc<Health>,
    /// Set when the service stops; the reconcile loop wakes on `wake`.
    stopping: Mutex<bool>,
    wake: Condvar,
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
                self.health.set(None);
                for t in targets {
                    self.scheduler.ask(Job::new(t, "reconcile"));
                }
            }
            Err(e) => {
                let why = format!("listing the protected targets failed: {e}");
                stdio::err(&format!("mlgate guard: {why}\n"));
                self.health.set(Some(why));
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
        scheduler: Arc::new(Scheduler::default()),
        health: Arc::new(Health::default()),
        stopping: Mutex::new(false),
        wake: Condvar::new(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| AppError::Output {
            path: "the guard's runtime".into(),
            source: e,
        })?;
    // Bound before anything starts: an address in use is a usage error, said at once.
    let socket = match args.listen {
        Some(addr) => Some(runtime.block_on(bind(addr))?),
        None => None,
    };
    if let (Some(url), Some(_)) = (&args.register, &socket) {
        register(guard, url);
    }
    let poll = Duration::from_secs(args.poll);
    let (said, waiting) = std::thread::scope(|s| {
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
            let Some((socket, listener)) = socket else {
                return stop.signalled().await;
            };
            let sink = Arc::new(GuardSink {
                rules: guard.rules.clone(),
                scheduler: service.scheduler.clone(),
                health: service.health.clone(),
            });
            let said = Arc::new(Mutex::new("?"));
            let signalled = said.clone();
            let shutdown = async move {
                let name = stop.signalled().await;
                *signalled.lock().unwrap_or_else(PoisonError::into_inner) = name;
            };
            if let Err(e) =
                serve::serve_on(socket, listener, sink, guard.metrics.clone(), shutdown).await
            {
                stdio::err(&format!("mlgate guard: the listener stopped: {e}\n"));
                return "a listener failure";
            }
            let name = *said.lock().unwrap_or_else(PoisonError::into_inner);
            name
        });
        let waiting = service.scheduler.waiting();
        service.stop();
        (said, waiting)
    });
    stdio::err(&format!(
        "mlgate guard: stopped on {said}; {waiting} waiting decision(s) left to the next reconcile\n"
    ));
    Ok(Exit::Pass)
}

/// Binds the listener's socket, with the secrets from the environment.
async fn bind(addr: SocketAddr) -> Result<(tokio::net::TcpListener, Listener), AppError> {
    let secret = |var: &str| std::env::var(var).ok().filter(|s| !s.is_empty());
    let listener = Listener {
        mlflow_secret: secret(MLFLOW_SECRET_VAR),
        databricks_secret: secret(DATABRICKS_SECRET_VAR),
        ..Listener::new(addr)
    };
    if listener.mlflow_secret.is_none() && listener.databricks_secret.is_none() {
        stdio::err(&format!(
            "warning: neither {MLFLOW_SECRET_VAR} nor {DATABRICKS_SECRET_VAR} is set: every delivery is refused (reconcile still runs)\n"
        ));
    }
    let socket = serve::bind(&listener)
        .await
        .map_err(|source| AppError::Output {
            path: format!("--listen {addr}").into(),
            source,
        })?;
    let bound = socket.local_addr().map_or(addr, |a| a);
    stdio::err(&format!(
        "mlgate guard: listening on http://{bound} (/webhooks/mlflow, /webhooks/databricks, /healthz, /metrics)\n"
    ));
    Ok((socket, listener))
}

//! The queue between what asks for decisions (reconcile passes, webhook deliveries) and the
//! workers that make them. Keyed by target: a target already waiting is not queued twice, and
//! a target being decided is decided once more afterwards (the registry may have changed
//! after the decision read it), so at most one decision runs per target and a burst of events
//! for one target costs at most two decisions. The queue holds at most one entry per target,
//! so it is bounded by the number of protected targets, whatever arrives.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Condvar, Mutex, PoisonError};

use super::protect::{Target, TargetKey};

/// A decision to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Job {
    pub target: Target,
    /// What asked: `reconcile`, `webhook:<delivery id>`.
    pub source: String,
    /// A transition request of this version to the target's stage, to approve or reject.
    pub request: Option<String>,
}

impl Job {
    pub(super) fn new(target: Target, source: impl Into<String>) -> Self {
        Self {
            target,
            source: source.into(),
            request: None,
        }
    }

    /// A request is its own job: coalescing it with the stage's decision would lose it.
    fn key(&self) -> TargetKey {
        let mut key = self.target.key();
        if let Some(v) = &self.request {
            key.holds = format!("{} (request of version {v})", key.holds);
        }
        key
    }
}

#[derive(Default)]
struct State {
    queue: VecDeque<Job>,
    queued: HashSet<TargetKey>,
    running: HashSet<TargetKey>,
    /// Asked for again while being decided: decided once more when the decision ends.
    again: HashMap<TargetKey, Job>,
    closed: bool,
}

#[derive(Default)]
pub(super) struct Scheduler {
    state: Mutex<State>,
    ready: Condvar,
}

impl Scheduler {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Asks for a decision on `target`; `false` when it was coalesced with one already asked
    /// for, or the scheduler is closed.
    pub(super) fn ask(&self, job: Job) -> bool {
        let mut s = self.lock();
        if s.closed {
            return false;
        }
        let key = job.key();
        if s.running.contains(&key) {
            return s.again.insert(key, job).is_none();
        }
        if !s.queued.insert(key) {
            return false;
        }
        s.queue.push_back(job);
        drop(s);
        self.ready.notify_one();
        true
    }

    /// The next job, waiting for one; `None` once closed.
    pub(super) fn next(&self) -> Option<Job> {
        let mut s = self.lock();
        loop {
            if s.closed {
                return None;
            }
            if let Some(job) = s.queue.pop_front() {
                let key = job.key();
                s.queued.remove(&key);
                s.running.insert(key);
                return Some(job);
            }
            s = self.ready.wait(s).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// `job` ended; the same one asked for meanwhile is queued now.
    pub(super) fn done(&self, job: &Job) {
        let mut s = self.lock();
        let key = job.key();
        s.running.remove(&key);
        if let Some(job) = s.again.remove(&key) {
            if !s.closed && s.queued.insert(key) {
                s.queue.push_back(job);
                drop(s);
                self.ready.notify_one();
            }
        }
    }

    /// Stops handing out jobs: waiting ones are dropped (the next reconcile after a restart
    /// decides them), running ones finish.
    pub(super) fn close(&self) {
        let mut s = self.lock();
        s.closed = true;
        s.queue.clear();
        s.queued.clear();
        s.again.clear();
        drop(s);
        self.ready.notify_all();
    }

    /// Jobs waiting, for `/healthz` and tests.
    pub(super) fn waiting(&self) -> usize {
        self.lock().queue.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::OnViolation;
    use crate::gather::Goal;

    fn job(model: &str, source: &str) -> Job {
        Job::new(target(model), source)
    }

    fn target(model: &str) -> Target {
        Target {
            model: model.into(),
            goal: Goal::Alias("champion".into()),
            on_violation: OnViolation::Report,
            max_age: None,
        }
    }

    #[test]
    fn one_entry_per_target_and_once_more_after_a_running_one() {
        let s = Scheduler::default();
        assert!(s.ask(job("a", "webhook:1")));
        assert!(!s.ask(job("a", "webhook:2")), "coalesced");
        assert!(s.ask(job("b", "reconcile")));
        let a = s.next().unwrap();
        assert_eq!(
            (a.target.model.as_str(), a.source.as_str()),
            ("a", "webhook:1")
        );
        // Asked for while running: decided again afterwards, once.
        assert!(s.ask(job("a", "webhook:3")));
        assert!(!s.ask(job("a", "webhook:4")));
        // A request is never folded into the target's decision.
        let mut request = job("a", "webhook:5");
        request.request = Some("7".into());
        assert!(s.ask(request));
        assert_eq!(s.waiting(), 2);
        s.done(&a);
        assert_eq!(s.waiting(), 3);
        assert_eq!(s.next().unwrap().target.model, "b");
        assert_eq!(s.next().unwrap().request.as_deref(), Some("7"));
        // The newest ask names what asked: the decision reads the registry anyway.
        assert_eq!(s.next().unwrap().source, "webhook:4");
        s.close();
        assert!(s.next().is_none());
        assert!(!s.ask(job("c", "reconcile")));
    }

    #[test]
    fn a_waiting_worker_wakes_on_close() {
        let s = std::sync::Arc::new(Scheduler::default());
        let worker = {
            let s = s.clone();
            std::thread::spawn(move || s.next().is_none())
        };
        std::thread::sleep(std::time::Duration::from_millis(20));
        s.close();
        assert!(worker.join().unwrap());
    }
}

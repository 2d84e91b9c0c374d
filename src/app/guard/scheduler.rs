//! The queue between what asks for decisions (reconcile passes, webhook deliveries) and the
//! workers that make them. Keyed by target: a target already waiting is not queued twice, and
//! a target being decided is decided once more afterwards (the registry may have changed
//! after the decision read it), so at most one decision runs per target and a burst of events
//! for one target costs at most two decisions. The queue holds at most one entry per target,
//! so it is bounded by the number of protected targets, whatever arrives.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Condvar, Mutex, PoisonError};

use super::protect::{Target, TargetKey};

/// A decision to make: the target, and what asked (`reconcile`, `webhook:<id>`).
pub(super) type Job = (Target, String);

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
    pub(super) fn ask(&self, target: Target, source: String) -> bool {
        let mut s = self.lock();
        if s.closed {
            return false;
        }
        let key = target.key();
        if s.running.contains(&key) {
            return s.again.insert(key, (target, source)).is_none();
        }
        if !s.queued.insert(key) {
            return false;
        }
        s.queue.push_back((target, source));
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
                let key = job.0.key();
                s.queued.remove(&key);
                s.running.insert(key);
                return Some(job);
            }
            s = self.ready.wait(s).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// The job on `target` ended; one asked for meanwhile is queued now.
    pub(super) fn done(&self, target: &Target) {
        let mut s = self.lock();
        let key = target.key();
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
        assert!(s.ask(target("a"), "webhook:1".into()));
        assert!(!s.ask(target("a"), "webhook:2".into()), "coalesced");
        assert!(s.ask(target("b"), "reconcile".into()));
        let (a, source) = s.next().unwrap();
        assert_eq!((a.model.as_str(), source.as_str()), ("a", "webhook:1"));
        // Asked for while running: decided again afterwards, once.
        assert!(s.ask(target("a"), "webhook:3".into()));
        assert!(!s.ask(target("a"), "webhook:4".into()));
        assert_eq!(s.waiting(), 1);
        s.done(&a);
        assert_eq!(s.waiting(), 2);
        assert_eq!(s.next().unwrap().0.model, "b");
        assert_eq!(s.next().unwrap().1, "webhook:3");
        s.close();
        assert!(s.next().is_none());
        assert!(!s.ask(target("c"), "reconcile".into()));
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
